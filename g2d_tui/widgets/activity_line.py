"""ActivityLine: the one line under the chat that says what runs, with a spinner."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from g2d_tui.i18n import t
from g2d_tui.widgets.image_card import SPINNER


class ActivityLine(Static):
    """"⠋ Streaming… · 2 pictures — esc cancels" while something runs, empty otherwise.

    One line, as wide as the screen (chat.tcss): its size never changes, so it is updated
    without a layout pass, which would reflow the whole screen ten times a second while a
    reply streams.
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id)
        self._frame = 0
        self._text = ""

    def show(self, *, streaming: bool, imagining: int) -> None:
        """Say what runs now (called on every spinner tick): a reply ``streaming``,
        ``imagining`` /imagine runs."""
        parts = []
        if streaming:
            parts.append(t("chat.streaming"))
        if imagining:
            parts.append(t("imagine.running", count=imagining))
        text = ""
        if parts:
            self._frame = (self._frame + 1) % len(SPINNER)
            text = f"{SPINNER[self._frame]} {' · '.join(parts)} — {t('chat.esc_cancels')}"
        if text != self._text:  # an unchanged update would still cost a layout pass
            self._text = text
            self.update(Content(text), layout=False)
            self.set_class(bool(parts), "-busy")  # not on the screen: that would restyle every turn
