"""The pieces of a conversation: the user's prompt, Gemini's reply, notes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

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


FREEZE_AFTER_BLOCKS = 12
"""Blocks the live Markdown tail may hold before its finished part is frozen (see GeminiReply)."""


def freeze_point(source: str, max_blocks: int = FREEZE_AFTER_BLOCKS) -> int:
    """Where to cut ``source`` so the part before holds whole blocks, or 0 to keep it all.

    Blocks end at blank lines outside fenced code; we only cut once there are more than
    ``max_blocks`` of them, at the last such blank line.
    """
    boundaries, in_fence, offset = [], False, 0
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not stripped and not in_fence and offset:
            boundaries.append(offset + len(line))
        offset += len(line)
    if len(boundaries) <= max_blocks or in_fence:
        return 0
    return boundaries[-1]


class FrozenMarkdown(Static):
    """Finished Markdown rendered by Rich, its height measured once per width.

    Layout asks every auto-height widget for its height on each pass; for a Rich
    Markdown that means rendering it again, which made long replies crawl.
    """

    DEFAULT_CSS = "FrozenMarkdown { width: 1fr; height: auto; margin-bottom: 1; }"

    def __init__(self, source: str) -> None:
        from rich.markdown import Markdown as RichMarkdown

        super().__init__(RichMarkdown(source), classes="reply-segment")
        self.source = source
        self._heights: dict[int, int] = {}

    def get_content_height(self, container, viewport, width: int) -> int:
        if width not in self._heights:
            self._heights[width] = super().get_content_height(container, viewport, width)
        return self._heights[width]


class GeminiReply(Vertical):
    """A reply that streams in as Markdown, with a footer line for its state.

    Every Markdown block is a widget and Textual lays all of them out again on each update,
    so a long reply would slow every frame down (seconds per frame at a few hundred blocks).
    Finished blocks are therefore frozen into one Static per segment, rendered by Rich's
    Markdown; only the live tail stays a Textual Markdown widget fed by ``get_stream``.
    """

    def __init__(self, model: str) -> None:
        super().__init__(classes="turn")
        self.model = model
        self.text = ""
        """The whole reply, as received."""
        self.state = "streaming"
        self._detail = ""
        self._tail = ""
        self._stream = None
        self.border_title = t("chat.gemini", model=model)

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Vertical(id="reply-frozen")
        yield Markdown(id="reply-markdown")
        yield Static("", classes="reply-status")

    @property
    def markdown(self):
        from textual.widgets import Markdown

        return self.query_one("#reply-markdown", Markdown)

    async def write(self, chunk: str) -> None:
        """Append a streamed fragment."""
        if self._stream is None:
            from textual.widgets import Markdown

            self._stream = Markdown.get_stream(self.markdown)
        self.text += chunk
        self._tail += chunk
        await self._stream.write(chunk)
        cut = freeze_point(self._tail)
        if cut:
            await self._freeze(cut)

    async def _freeze(self, cut: int) -> None:
        head, self._tail = self._tail[:cut], self._tail[cut:]
        await self.finish_stream()
        await self.query_one("#reply-frozen").mount(FrozenMarkdown(head))
        await self.markdown.update(self._tail)

    async def finish_stream(self) -> None:
        """Flush what is pending; the next write starts a new stream."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

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
