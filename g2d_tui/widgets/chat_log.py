"""ChatLog: the scrolling conversation, anchored to the bottom until the user scrolls up."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widget import Widget


class ChatLog(VerticalScroll, can_focus=True):
    """Holds UserPrompt, GeminiReply, ImageCard and Note widgets."""

    def on_mount(self) -> None:
        self.anchor()

    async def add(self, widget: Widget) -> Widget:
        await self.mount(widget)
        return widget
