"""The pieces of a conversation: the user's prompt, Gemini's reply, notes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static

from g2d_tui.i18n import t


class UserPrompt(Static):
    """What the user sent, shown verbatim (no markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(Content(text), classes="turn")
        self.text = text
        self.border_title = t("chat.you")

    def mark_failed(self) -> None:
        self.add_class("-failed")
        self.border_subtitle = t("chat.not_delivered")

    def retranslate(self) -> None:
        self.border_title = t("chat.you")
        if self.has_class("-failed"):
            self.border_subtitle = t("chat.not_delivered")


class GeminiReply(Vertical):
    """A reply that streams in as Markdown, with a footer line for its state."""

    def __init__(self, model: str) -> None:
        super().__init__(classes="turn")
        self.model = model
        self.text = ""
        self.state = "streaming"
        self.border_title = t("chat.gemini", model=model)

    def compose(self) -> ComposeResult:
        yield Markdown(id="reply-markdown")
        yield Static("", classes="reply-status")

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    def set_state(self, state: str, detail: str = "") -> None:
        """``streaming``, ``done``, ``cancelled``, ``truncated`` or ``failed``."""
        for name in ("streaming", "done", "cancelled", "truncated", "failed"):
            self.set_class(name == state, f"-{name}")
        self.state = state
        self._detail = detail
        self._show_state()

    def _show_state(self) -> None:
        status = self.query_one(".reply-status", Static)
        if self.state == "cancelled":
            status.update(t("chat.reply_cancelled"))
        elif self.state == "truncated":
            status.update(self._detail)
        else:
            status.update("")

    def retranslate(self) -> None:
        self.border_title = t("chat.gemini", model=self.model)


class Note(Static):
    """A line from the app itself: info, warning or error (``-info``/``-warning``/``-error``)."""

    def __init__(self, text: str, level: str = "info", *, key: str = "", params: dict[str, object] | None = None) -> None:
        super().__init__(Content(text), classes=f"note -{level}")
        self.key = key
        self.params = params or {}

    def retranslate(self) -> None:
        if self.key:
            self.update(Content(t(self.key, **self.params)))
