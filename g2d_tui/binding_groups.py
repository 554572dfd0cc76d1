"""Which classes declare the app's keys, in the groups the help screen shows them.

Kept out of the screens: the list names the app itself, and no screen imports the app
(the app imports the screens). The help screen is handed these groups when it opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.dom import DOMNode

BindingGroup = tuple[str, "type[DOMNode]"]
"""(catalogue key of the group's title, the class whose ``BINDINGS`` it lists)."""


def binding_groups() -> list[BindingGroup]:
    """The groups of keys the help screen lists, in order."""
    from g2d_tui.app import G2DApp
    from g2d_tui.screens.chat import ChatScreen
    from g2d_tui.screens.conversations import ConversationsScreen
    from g2d_tui.screens.gallery import GalleryScreen
    from g2d_tui.screens.settings import SettingsScreen
    from g2d_tui.widgets.prompt_input import PromptInput
    from g2d_tui.widgets.thumbnail_grid import ThumbnailGrid

    return [
        ("help.group.global", G2DApp),
        ("help.group.chat", ChatScreen),
        ("help.group.prompt", PromptInput),
        ("help.group.settings", SettingsScreen),
        ("help.group.conversations", ConversationsScreen),
        ("help.group.gallery", GalleryScreen),
        ("help.group.gallery_grid", ThumbnailGrid),
    ]


def binding_owners() -> list[type[DOMNode]]:
    """Every class of ours that declares bindings."""
    from g2d_tui.screens.confirm import ConfirmScreen
    from g2d_tui.screens.help import HelpScreen
    from g2d_tui.screens.text_prompt import TextPromptScreen

    return [owner for _, owner in binding_groups()] + [ConfirmScreen, TextPromptScreen, HelpScreen]


def known_binding_ids() -> set[str]:
    """Every binding id a ``[keymap]`` entry may name."""
    return {item.id for owner in binding_owners() for item in owner.BINDINGS if isinstance(item, Binding) and item.id}
