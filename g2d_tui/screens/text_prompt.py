"""TextPromptScreen: a small modal that asks for one line of text (a new title, a folder)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from g2d_tui.i18n import t
from g2d_tui.keys import bind


class TextPromptScreen(ModalScreen[str | None]):
    """Ask for a line of text; dismiss with it (Enter or OK), or None (escape or Cancel).

    The title, the explanation and the starting value are plain text, never markup.
    """

    DEFAULT_CSS = """
    TextPromptScreen { align: center middle; }
    TextPromptScreen > Vertical { width: 70; max-width: 100%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    TextPromptScreen #text-prompt-title { text-style: bold; margin-bottom: 1; }
    TextPromptScreen #text-prompt-body { color: $text-muted; margin-bottom: 1; }
    TextPromptScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    TextPromptScreen Button { margin-left: 1; }
    """
    BINDINGS = [bind("escape", "cancel", "cancel_dialog")]

    def __init__(self, title: str, body: str, value: str = "", *, accept: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.value = value
        self.accept_label = accept

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), id="text-prompt-title")
            if self.body:
                yield Static(Content(self.body), id="text-prompt-body")
            yield Input(self.value, id="text-prompt-input", select_on_focus=False)
            with Horizontal():
                yield Button(self.accept_label or t("dialog.ok"), id="text-prompt-ok", variant="primary")
                yield Button(t("dialog.cancel"), id="text-prompt-cancel")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    @on(Button.Pressed, "#text-prompt-ok")
    def _accepted(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.query_one(Input).value)

    @on(Button.Pressed, "#text-prompt-cancel")
    def _cancelled(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
