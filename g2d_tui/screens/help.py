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
    from g2d_tui.binding_groups import BindingGroup


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


def help_markdown(keymap: dict[str, str], groups: list[BindingGroup]) -> str:
    """The help text: one table per group of bindings (``groups``: see
    :func:`g2d_tui.binding_groups.binding_groups`), then the slash commands."""
    lines = [f"# {t('help.title')}", ""]
    for title_key, owner in groups:
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
    """F1: what every key does; escape or F1 closes it.

    Args:
        groups: the groups of bindings to list, handed over by the app (which owns them).
        keymap: binding id -> keys, as the ``[keymap]`` settings remapped them.
    """

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen #help-close { color: $text-muted; height: 1; }
    """
    BINDINGS = [bind("escape,f1", "close", "close_help")]

    def __init__(self, groups: list[BindingGroup], keymap: dict[str, str]) -> None:
        super().__init__()
        self.groups = groups
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it and friends: not needed at start-up

        from textual.widgets import Footer

        with VerticalScroll():
            yield Markdown(help_markdown(self.keymap, self.groups))
            yield Static(Content(t("help.close")), id="help-close")
        yield Footer(compact=True)  # "esc Close" in sight, not only at the end of the scroll

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss()
