"""Textual's own words on our screens, from our catalogue.

Textual writes a few user-visible strings itself: the footer key of an open Select list
("Dismiss menu"), the theme picker's placeholder, the command palette's "No matches
found" (``screens/palette.py``) and the toast ctrl+c shows. The command palette's
placeholder and its commands are ours already (``G2DApp.action_command_palette``,
``get_system_commands``).
``tests/ui/test_textual_strings.py`` renders the screens in Portuguese and looks for every
English binding description of the Textual classes we use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

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
