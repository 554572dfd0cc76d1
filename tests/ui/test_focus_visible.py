"""The focused control is told apart by shape or text style, not by colour alone.

Under ``NO_COLOR`` Textual drops every colour (or turns them grey), and several themes
mark focus with one shade of the same grey. Each check renders a part of the screen with
the focus on it and away from it and compares what is left once colours are dropped:
characters, bold, reverse, underline, italic.
"""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widget import Widget

from tests.ui.helpers import keyed_settings, make_app, no_blink, settings_ready, settle, until

THEMES = ["textual-dark", "textual-light", "nord", "gruvbox", "catppuccin-mocha"]


def colourless(app, region: Region) -> list[tuple]:
    """``region`` of the screen as (character, bold, reverse, underline, italic) per cell."""
    strips = app.screen._compositor.render_strips()
    cells = []
    for y in range(region.y, region.bottom):
        for segment in strips[y].crop(region.x, region.right):
            style = segment.style
            flags = (bool(style.bold), bool(style.reverse), bool(style.underline), bool(style.italic)) if style else (False,) * 4
            cells.extend((char, *flags) for char in segment.text)
    return cells


async def look(pilot, region: Region, focus: Widget) -> list[tuple]:
    focus.focus()
    no_blink(pilot.app)
    await pilot.pause()
    await pilot.pause()
    return colourless(pilot.app, region)


def top_row(widget: Widget) -> Region:
    """The widget's first row: a border, never the text cursor."""
    region = widget.region
    return Region(region.x, region.y, region.width, 1)


async def chat_app(pilot, theme: str):
    pilot.app.theme = theme
    await settle(pilot)
    await until(pilot, lambda: pilot.app.screen.ready, "the chat ready")
    await settle(pilot)
    return pilot.app.screen


@pytest.mark.parametrize("theme", THEMES)
async def test_chat_controls_show_focus_without_colour(fake_gemini, theme):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await chat_app(pilot, theme)
        prompt, log, picker = screen.prompt_input, screen.log_view, screen.query_one("#chat-model")
        assert await look(pilot, top_row(prompt), prompt) != await look(pilot, top_row(prompt), log), "message box"
        assert await look(pilot, log.region, log) != await look(pilot, log.region, prompt), "chat log"
        assert await look(pilot, picker.region, picker) != await look(pilot, picker.region, prompt), "model picker"


@pytest.mark.parametrize("theme", THEMES)
async def test_settings_rows_show_focus_without_colour(theme):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        app.theme = theme
        await settings_ready(pilot)
        screen = app.screen
        other = screen.query_one("#gemini--model")
        for widget_id in ("gemini--api-key", "images--backend", "images--auto-save"):
            control = screen.query_one(f"#{widget_id}")
            control.scroll_visible(animate=False)
            await pilot.pause()
            label = screen.query_one(f"#label-{widget_id}")
            focused = await look(pilot, label.region, control)
            assert focused != await look(pilot, label.region, other), widget_id


async def test_settings_opens_with_the_first_field_marked(fake_gemini):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settings_ready(pilot)
        await pilot.pause()
        label = app.screen.query_one("#label-gemini--api-key")
        cells = colourless(app, label.region)
        assert all(reverse for _, _, reverse, *_ in cells[1:8]), cells[:8]


async def test_settings_opened_with_f2_has_the_first_field_marked(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settings_ready(pilot)
        await pilot.pause()
        label = app.screen.query_one("#label-gemini--api-key")
        cells = colourless(app, label.region)
        assert all(reverse for _, _, reverse, *_ in cells[1:8]), cells[:8]
