"""Textual draws some words of its own on our screens (the footer key of an open list, the
command palette, the theme picker, the ctrl+c toast): in Portuguese they must be Portuguese."""

from __future__ import annotations

import re

from textual.binding import Binding
from textual.command import CommandPalette

from g2d_tui import i18n
from tests.ui.helpers import keyed_settings, make_app, settle, until


def textual_english() -> set[str]:
    """Every binding description of the Textual classes on our screens, and the words
    Textual writes in code: what must not show in the Portuguese UI."""
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Button, Input, Markdown, OptionList, Select, Switch, TextArea
    from textual.widgets._select import SelectOverlay

    words = {"Search for commands…", "Search for themes…", "No matches found", "Do you want to quit?", "to quit the app"}
    for cls in (App, Screen, CommandPalette, Select, SelectOverlay, OptionList, Input, TextArea, Switch, Button, Markdown):
        for item in cls.BINDINGS:
            description = item.description if isinstance(item, Binding) else (item[2] if len(item) > 2 else "")
            if description:
                words.add(description)
    return words


def english_on_screen(app) -> list[str]:
    lines = ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]
    text = "\n".join(lines)
    return sorted(word for word in textual_english() if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text))


def test_the_list_of_english_words_is_real():
    words = textual_english()
    assert {"Dismiss menu", "Exit the command palette", "Search for themes…"} <= words


async def test_no_textual_english_on_portuguese_screens(fake_gemini):
    i18n.set_language("pt-BR")
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.screen.ready, "the chat never got ready")
        seen: dict[str, list[str]] = {}

        await pilot.press("f3")  # the footer shows the open list's own key
        await until(pilot, lambda: app.screen.query_one("#chat-model").expanded, "no picker")
        await pilot.pause()
        seen["model picker"] = english_on_screen(app)
        await pilot.press("escape")

        app.screen.log_view.focus()  # in the message box ctrl+c copies
        await pilot.press("ctrl+c")  # Textual's "how to quit" toast
        await until(pilot, lambda: len(app._notifications), "no ctrl+c toast")
        await pilot.pause()
        seen["ctrl+c toast"] = english_on_screen(app)
        toast = "\n".join(f"{note.title} {note.message}" for note in app._notifications)
        assert "ctrl+q" in toast and "[b]" not in toast, toast  # our toasts are plain text
        app.clear_notifications()

        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app), "no palette")
        await pilot.pause()
        seen["palette"] = english_on_screen(app)
        await pilot.press(*"zzqqxx")  # matches nothing: Textual says so after a moment
        await until(pilot, lambda: app.screen.query("#--no-matches") or app.screen.query_one("CommandList").option_count and app.screen.query_one("CommandList").get_option_at_index(0).id == "--no-matches", "no 'no matches' line")
        await pilot.pause()
        seen["palette, no matches"] = english_on_screen(app)
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app), "the palette stayed")

        app.action_change_theme()
        await until(pilot, lambda: CommandPalette.is_open(app), "no theme picker")
        await pilot.pause()
        seen["theme picker"] = english_on_screen(app)
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app), "the theme picker stayed")

        await pilot.press("f1")
        await pilot.pause()
        seen["help"] = english_on_screen(app)
        await pilot.press("escape")

        await pilot.press("f2")
        await until(pilot, lambda: type(app.screen).__name__ == "SettingsScreen" and app.screen.focused is not None, "no settings")
        app.screen.query_one("#images--backend").focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#images--backend").expanded, "the list did not open")
        await pilot.pause()
        seen["settings, list open"] = english_on_screen(app)

    left = {where: words for where, words in seen.items() if words}
    assert not left, left
