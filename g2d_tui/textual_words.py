"""Textual's own words on our screens, from our catalogue.

Textual writes a few user-visible strings itself: the footer key of an open Select list
("Dismiss menu"), the theme picker's placeholder, the command palette's "No matches
found" and the toast ctrl+c shows. The command palette's placeholder and its commands
are ours already (``G2DApp.action_command_palette``, ``get_system_commands``).
``tests/ui/test_textual_strings.py`` renders the screens in Portuguese and looks for every
English binding description of the Textual classes we use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from g2d_tui.i18n import t

if TYPE_CHECKING:
    from textual.binding import BindingsMap
    from textual.dom import DOMNode


def _binding_words() -> dict[type[DOMNode], dict[str, str]]:
    """Textual classes -> {action: catalogue key} for the bindings a footer can show."""
    from textual.widgets._select import SelectOverlay

    return {SelectOverlay: {"dismiss": "textual.dismiss_menu"}}


def _relabel(bindings_map: BindingsMap | None, words: dict[str, str]) -> None:
    if bindings_map is None:
        return
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            replace(item, description=t(words[item.action])) if item.action in words else item for item in bindings
        ]


def translate_bindings(nodes: list[DOMNode] | tuple[DOMNode, ...] = ()) -> None:
    """Label Textual's bindings in the current language: on the classes (what new widgets
    copy) and on ``nodes`` that already exist."""
    table = _binding_words()
    for cls, words in table.items():
        _relabel(cls._merged_bindings, words)
    for node in nodes:
        for cls, words in table.items():
            if isinstance(node, cls):
                _relabel(node._bindings, words)


class Palette(CommandPalette):
    """Textual's command palette with "No matches found" in the user's language."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's method with the message from the catalogue (Textual builds the text inside
        # this method; test_textual_strings notices if it changes).
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
