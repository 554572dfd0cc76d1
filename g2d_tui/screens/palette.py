"""The command palette: Textual's palette with its own words from our catalogue, and our
commands (``App.get_system_commands``) shown as plain text.

Textual's own provider hands titles and help to the palette as markup: a translated
"its id for [keymap]" lost its "[keymap]", and a "[/]" would stop the app. Here every
title and help line is ``Content``, which the palette shows as it is. Imported when the
palette first opens: defining a Textual screen class costs start-up a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Matcher
from textual.content import Content
from textual.system_commands import SystemCommandsProvider

from g2d_tui.i18n import t

if TYPE_CHECKING:
    from textual.screen import Screen

    from g2d_tui.screens.app_host import AppHost


def highlighted(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` with the characters the query matched highlighted, as
    ``Matcher.highlight`` does, without reading ``candidate`` as markup."""
    content = Content(candidate)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class PlainSystemCommands(SystemCommandsProvider):
    """``SystemCommandsProvider`` with plain-text titles and help."""

    async def discover(self) -> Hits:
        commands = sorted(self.app.get_system_commands(self.screen), key=lambda command: command[0])
        for name, help_text, callback, discover in commands:
            if discover:
                yield DiscoveryHit(Content(name), callback, text=name, help=Content(help_text))  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            if (match := matcher.match(name)) > 0:
                yield Hit(match, highlighted(matcher, name), callback, text=name, help=Content(help_text))  # type: ignore[arg-type]


class Palette(CommandPalette):
    """Textual's command palette with "No matches found" in the user's language."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's method with the message from the catalogue (Textual builds the text inside
        # this method; test_textual_strings notices if it changes).
        from rich.align import Align
        from rich.text import Text
        from textual.command import CommandList
        from textual.widgets.option_list import Option

        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(t("command.no_matches"), style="not bold")), disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


def command(name: str, action: Callable[[], Any]) -> SystemCommand:
    """The palette entry ``name``: its title and help from the catalogue (``command.<name>``
    and ``command.<name>_help``)."""
    return SystemCommand(t(f"command.{name}"), t(f"command.{name}_help"), action)


def our_commands(app: AppHost, screen: Screen) -> Iterator[SystemCommand]:
    """The palette's commands (``App.get_system_commands``): the app's, then those of ``screen``."""
    yield command("settings", app.action_open_settings)
    yield command("conversations", app.action_open_conversations)
    yield command("gallery", app.action_open_gallery)
    system_commands = getattr(screen, "system_commands", None)
    if system_commands is not None:  # the screen's own actions (conversations, gallery)
        yield from system_commands()
    from g2d_tui.screens.chat import ChatScreen

    if isinstance(screen, ChatScreen):
        yield command("new_chat", screen.action_new_chat)
        yield command("copy_reply", screen.action_copy_reply)
        yield command("save_image", screen.action_save_image)
        yield command("pick_chat_model", screen.action_pick_chat_model)
        yield command("pick_image_model", screen.action_pick_image_model)
    yield command("open_images", app.action_open_images_folder)
    yield command("theme", app.action_change_theme)
    yield command("keys", app.action_help)
    yield command("quit", app.action_quit)
