"""Outside text in every widget that shows it: literal on screen, never markup, and what
Textual would write to the terminal holds no control sequence from it.

``rendered_terminal(app)`` is the driver's full-screen update for the current screen
(see tests/faults/terminal_checks.py); ``screen_text`` what the cells show.
"""

from __future__ import annotations

import asyncio

from markdown_it import MarkdownIt
from textual.widgets import Select

from g2d_tui.binding_groups import binding_groups
from g2d_tui.paths import config_path
from g2d_tui.screens.help import HelpScreen, help_markdown
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.settings.store import SettingsStore
from tests.fakes import hostile as H
from tests.faults.helpers import screen_text, wait_until
from tests.faults.terminal_checks import rendered_terminal, terminal_problems
from tests.ui.helpers import entries, keyed_settings, make_app, send, settle

SIZE = (110, 40)


def assert_terminal_clean(app) -> str:
    """What Textual would draw now holds no control sequence from outside; returns the screen's text."""
    stream = rendered_terminal(app)
    assert terminal_problems(stream) == []
    assert "\x1b]52" not in stream and "\x1b]0;" not in stream and "\x9b" not in stream
    return screen_text(app)


# -- the command palette ---------------------------------------------------------------


async def test_the_palette_shows_its_text_literally(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        for key in "show keys":
            await pilot.press("space" if key == " " else key)
        assert await wait_until(pilot, lambda: "[keymap]" in screen_text(app)), screen_text(app)
        shown = assert_terminal_clean(app)
        assert "Every key, its id for [keymap], and the slash commands" in " ".join(shown.split())
        assert "Show keys" in shown


# -- the F1 help ------------------------------------------------------------------------


HOSTILE_KEYS = {"settings": "ctrl+`|[/x]*_", "help": "``f1|[b]"}  # both in the first group: on screen at once


def _table_rows(markdown: str) -> list[list[str]]:
    """Each table row's cells, as markdown-it (Textual's parser) reads them: code spans' text."""
    rows, row = [], None
    for token in MarkdownIt("gfm-like").parse(markdown):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(row)
            row = None
        elif token.type == "inline" and row is not None:
            row.append("".join(child.content for child in token.children or []))
    return rows


def test_keymap_values_stay_in_their_table_cell_literally():
    rows = _table_rows(help_markdown(HOSTILE_KEYS, binding_groups()))
    assert rows and all(len(row) == 3 for row in rows), rows
    keys_of = {row[2]: row[0] for row in rows}
    assert keys_of["settings"] == "ctrl+`|[/x]*_"
    assert keys_of["help"] == "``f1|[b]"


async def test_the_help_screen_renders_odd_keymap_values_literally(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._keymap = dict(HOSTILE_KEYS)  # as the help reads it; [keymap] itself only lets key names through
        app.action_help()  # F1 is one of the keys just remapped
        assert await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and "[/x]" in screen_text(app)), screen_text(app)
        shown = assert_terminal_clean(app)
        assert "ctrl+`|[/x]*_" in shown and "``f1|[b]" in shown


# -- pickers, replies, errors -----------------------------------------------------------


async def test_hostile_model_names_show_literally_in_the_picker(fake_gemini):
    fake_gemini.set_hostile("models")
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert await wait_until(pilot, lambda: len(app.chat_models) == 5)
        await pilot.press("f3")
        picker = app.screen.query_one("#chat-model", Select)
        assert await wait_until(pilot, lambda: picker.expanded and "gemini-[/x]" in screen_text(app))
        shown = assert_terminal_clean(app)
        assert "gemini-evil-␛]52;c;" in shown and "gemini-c1�2J" in shown
        assert "gemini-link" in shown


async def test_a_hostile_reply_and_model_id_reach_the_terminal_as_text(fake_gemini):
    fake_gemini.set_hostile("text")
    app = make_app(keyed_settings(fake_gemini.base_url))
    app.settings.gemini.model = "gemini-[b]x"  # as a pick from a hostile list would set it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
        [reply] = entries(app, "model")
        assert reply.turn.state == "complete"
        shown = assert_terminal_clean(app)
        assert "Gemini · gemini-[b]x" in shown
        assert "Title ␛]0;pwned title␇" in shown


async def test_hostile_error_bodies_show_literally_in_the_note_and_the_toast(fake_gemini):
    fake_gemini.set_hostile("errors")
    fake_gemini.error_status = 400
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
        assert await wait_until(pilot, lambda: "Failure pwn" in screen_text(app))
        shown = assert_terminal_clean(app)
        assert "[bold red]" in shown and "[/x]" in shown
        assert any("[link=https://evil.example/]" in n.message for n in app._notifications)


# -- the settings screen with a hostile settings file ------------------------------------


def _hostile_config(fake_gemini, folder) -> str:
    return (
        "[gemini]\n"
        'api_key = "AIzaFAKE-test-key-0000"\n'
        f'base_url = "{fake_gemini.base_url}"\n'
        "[images]\n"
        f"save_dir = {str(folder)!r}\n"
        'negative_prompt = "[/x] [bold red]neg[/] \\u001b]52;c;eA==\\u0007 \\u009b2J"\n'
        'backend = "a1111"\n'
        "[images.a1111]\n"
        'sampler = "[@click=app.quit]x[/]"\n'
        'model = "[/]"\n'
        "[images.comfyui]\n"
        'checkpoint = "[/x]"\n'
    )


async def test_the_settings_screen_shows_and_saves_hostile_values(fake_gemini, tmp_path):
    folder = tmp_path / "[/x] [b]pics"
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_hostile_config(fake_gemini, folder), encoding="utf-8")
    app = make_app()
    loaded = app.settings.copy()
    assert loaded.images.negative_prompt.startswith("[/x] [bold red]neg[/] ␛]52")
    async with app.run_test(size=(130, 60)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        assert await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.focused is not None)
        screen = app.screen
        await pilot.pause()
        shown = assert_terminal_clean(app)
        assert "[@click=app.quit]x[/]" in shown and "[/x] [b]pics" in shown
        # A field error quotes the typed text: shown literally too.
        width = screen.query_one("#images--width")
        width.value = "[/x]"
        assert await wait_until(pilot, lambda: "images--width" in screen.errors)
        width.value = str(loaded.images.width)
        steps = screen.query_one("#images--steps")
        steps.value = "31"
        assert await wait_until(pilot, lambda: screen.dirty and not screen.errors)
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: not screen.dirty)
        await asyncio.sleep(0)
        assert app.is_running
    saved = SettingsStore(path).load().settings
    assert saved.images.steps == 31
    assert saved.images.negative_prompt == loaded.images.negative_prompt
    assert saved.images.a1111.sampler == "[@click=app.quit]x[/]" and saved.images.a1111.model == "[/]"
    assert saved.images.comfyui.checkpoint == "[/x]" and saved.images.save_dir == str(folder)
