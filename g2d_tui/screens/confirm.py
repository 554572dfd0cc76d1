"""ConfirmScreen: a small modal question with a few answers."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from g2d_tui.keys import bind


class ConfirmScreen(ModalScreen[str | None]):
    """Ask ``body``; dismiss with the chosen answer's id (None on escape).

    Title, body and labels are shown as plain text (they may quote a URL, a path or a
    server's name), never as markup. ``focus`` names the answer focused first (the
    first one by default): a question about a risk focuses the safe answer.
    """

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; max-width: 100%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    ConfirmScreen #confirm-title { text-style: bold; margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 1; }
    """
    BINDINGS = [bind("escape", "cancel", "cancel_dialog")]

    def __init__(self, title: str, body: str, answers: list[tuple[str, str, str]], *, focus: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.answers = answers
        self.focus_answer = focus

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), id="confirm-title")
            yield Static(Content(self.body), id="confirm-body")
            with Horizontal():
                for answer_id, label, variant in self.answers:
                    yield Button(Content(label), id=f"answer-{answer_id}", variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        wanted = self.query_one_optional(f"#answer-{self.focus_answer}", Button) if self.focus_answer else None
        (wanted or self.query(Button).first()).focus()

    @on(Button.Pressed)
    def _answered(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    def action_cancel(self) -> None:
        self.dismiss(None)
