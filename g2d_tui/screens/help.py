"""HelpScreen: every key of the app (as remapped by ``[keymap]``), its binding id, and the slash commands."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from g2d_tui.i18n import t
from g2d_tui.keys import bind

if TYPE_CHECKING:
    from textual.dom import DOMNode


def _groups() -> list[tuple[str, type[DOMNode]]]:
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
    from g2d_tui.screens.text_prompt import TextPromptScreen

    return [owner for _, owner in _groups()] + [ConfirmScreen, TextPromptScreen, HelpScreen]


def known_binding_ids() -> set[str]:
    """Every binding id a ``[keymap]`` entry may name."""
    return {item.id for owner in binding_owners() for item in owner.BINDINGS if isinstance(item, Binding) and item.id}


def _display(keys: str) -> str:
    return " / ".join(key.strip() for key in keys.split(","))


def code_cell(text: str) -> str:
    """``text`` as a Markdown code span that stays one table cell, shown literally: the
    fence is longer than any run of backticks inside, and pipes are escaped (a table
    splits cells on them even inside code). Keys come from the user's ``[keymap]``."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def text_cell(text: str) -> str:
    """Prose in one table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def help_markdown(keymap: dict[str, str]) -> str:
    """The help text: one table per group of bindings, then the slash commands."""
    lines = [f"# {t('help.title')}", ""]
    for title_key, owner in _groups():
        lines += [f"## {t(title_key)}", "", f"| {t('help.col.keys')} | {t('help.col.action')} | {t('help.col.id')} |", "| --- | --- | --- |"]
        for item in owner.BINDINGS:
            if not isinstance(item, Binding) or not item.id:
                continue
            keys = keymap.get(item.id, item.key_display or item.key)
            lines.append(f"| {code_cell(_display(keys))} | {text_cell(t(f'binding_tip.{item.id}'))} | {code_cell(item.id)} |")
        lines.append("")
    lines += [f"## {t('help.group.slash')}", "", t("help.slash"), "", f"## {t('help.group.keymap')}", "", t("help.keymap")]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """F1: what every key does; escape or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen #help-close { color: $text-muted; height: 1; }
    """
    BINDINGS = [bind("escape,f1", "close", "close_help")]

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it and friends: not needed at start-up

        from textual.widgets import Footer

        with VerticalScroll():
            yield Markdown(help_markdown(self.app._keymap))
            yield Static(Content(t("help.close")), id="help-close")
        yield Footer(compact=True)  # "esc Close" in sight, not only at the end of the scroll

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss()
