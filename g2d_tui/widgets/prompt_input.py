"""PromptInput: multi-line input; Enter sends, ctrl+j inserts a newline, alt+up/down walk history."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from g2d_tui.i18n import t
from g2d_tui.keys import bind
from g2d_tui.messages import PromptSubmitted, ScrollChat


class PromptInput(TextArea):
    """Posts ``PromptSubmitted`` on Enter; keeps what was sent for recall."""

    BINDINGS = [
        bind("enter", "submit", "send", show=False),
        bind("ctrl+j,shift+enter", "newline", "newline", key_display="ctrl+j", show=False),
        bind("alt+up", "history(-1)", "history_previous", show=False),
        bind("alt+down", "history(1)", "history_next", show=False),
        # The message box is a line or two: its page keys page the conversation instead, so
        # the whole chat can be read without leaving the box.
        bind("pageup", "scroll_chat(-1)", "chat_page_up", show=False),
        bind("pagedown", "scroll_chat(1)", "chat_page_down", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", compact=True, **kwargs)
        self.sent: list[str] = []
        self._history_index = 0
        self._draft = ""
        self.placeholder = t("chat.placeholder")

    async def _on_key(self, event: events.Key) -> None:
        # The send and newline keys (Enter and ctrl+j, or what [keymap] made them) are handled
        # here, in order with the typed keys: a binding runs as soon as the key reaches the
        # app, before earlier keys still queued for this widget, so a fast paste + Enter lost
        # its last characters and "ctrl+j, more text" put the new line after the text.
        if event.key in self._keys_of("send"):
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in self._keys_of("newline"):
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)

    def _keys_of(self, binding_id: str) -> set[str]:
        """The keys bound to ``binding_id``, after the app's ``[keymap]``."""
        remapped = self.app._keymap.get(binding_id)
        if remapped:
            return {key.strip() for key in remapped.split(",")}
        return {key for key, bindings in self._bindings.key_to_bindings.items() if any(b.id == binding_id for b in bindings)}

    def action_submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.post_message(PromptSubmitted(text))

    def remember(self, text: str) -> None:
        """Add ``text`` to the history and clear the input."""
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._history_index = len(self.sent)
        self.clear()

    def restore(self, text: str) -> None:
        """Put ``text`` back (after a failure) unless the user already typed something else."""
        if not self.text.strip():
            self.load_text(text)
            self.move_cursor(self.document.end)

    def action_scroll_chat(self, pages: int) -> None:
        self.post_message(ScrollChat(pages))

    def action_newline(self) -> None:
        self.insert("\n")

    def action_history(self, step: int) -> None:
        if not self.sent:
            return
        if self._history_index == len(self.sent):
            self._draft = self.text
        self._history_index = max(0, min(len(self.sent), self._history_index + step))
        text = self._draft if self._history_index == len(self.sent) else self.sent[self._history_index]
        self.load_text(text)
        self.move_cursor(self.document.end)

    def retranslate(self) -> None:
        self.placeholder = t("chat.placeholder")
