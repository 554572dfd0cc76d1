"""The pieces of a conversation: the user's prompt, Gemini's reply, notes.

Each is drawn from an :class:`~g2d_tui.widgets.chat_log.Entry`: the log builds them when
their entry comes near the view, and again after they were scrolled far away.
"""

from __future__ import annotations

import asyncio
import time

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Static

from g2d_tui import hooks
from g2d_tui.i18n import t
from g2d_tui.widgets.chat_log import Entry, wrapped_lines
from g2d_tui.widgets.markdown_lines import FrozenMarkdown, freeze_point, keep_rendered

FLUSH_EVERY = 0.08
"""Seconds between Markdown updates while a reply streams."""

KEEP_RENDERED_UP_TO = 8_000
"""Characters of a finished reply worth rendering ahead for the cache (see ``finish_stream``)."""

BURST = 2048
"""New text over this size is a burst: its finished blocks are frozen even before an open fence."""

_STATE_OF_TURN = {"streaming": "streaming", "complete": "done", "cancelled": "cancelled", "truncated": "truncated", "failed": "failed"}


class UserPrompt(Static):
    """What the user sent, shown verbatim (no markup)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(Content(entry.turn.text), classes="turn")
        self.entry = entry
        self.text = entry.turn.text
        self.border_title = Content(t("chat.you"))
        if entry.turn.state == "failed":
            self.mark_failed()

    def mark_failed(self) -> None:
        self.add_class("-failed")
        self.border_subtitle = Content(t("chat.not_delivered"))

    def retranslate(self) -> None:
        self.border_title = Content(t("chat.you"))
        if self.has_class("-failed"):
            self.border_subtitle = Content(t("chat.not_delivered"))

    @classmethod
    def estimate(cls, entry: Entry, width: int) -> int:
        return wrapped_lines(entry.turn.text, width - 8) + 3  # border, margin


class GeminiReply(Vertical):
    """A reply that streams in as Markdown, with a footer line for its state.

    Every Markdown block is a widget and Textual lays all of them out again on each update,
    so a long reply would slow every frame down (seconds per frame at a few hundred blocks).
    Finished blocks are therefore frozen into one :class:`FrozenMarkdown` of pre-rendered
    lines; only the live tail stays a Textual Markdown widget fed by ``get_stream``.
    """

    STATES = ("streaming", "done", "cancelled", "truncated", "failed")

    def __init__(self, entry: Entry) -> None:
        super().__init__(classes="turn")
        self.entry = entry
        self.model = entry.turn.model
        self.text = ""
        """What this widget has shown of the reply (its entry may have more, see :meth:`catch_up`)."""
        self.state = _STATE_OF_TURN.get(entry.turn.state, "done")
        self._tail = ""
        """Text in the live Markdown (everything not frozen)."""
        self._unflushed: list[str] = []
        self._last_flush = 0.0
        self._flush_timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        self._stream = None
        self.border_title = Content(t("chat.gemini", model=self.model))  # a model id: never markup

    @property
    def streaming(self) -> bool:
        return self.entry.turn.state == "streaming"

    def compose(self) -> ComposeResult:
        from g2d_tui.widgets.reply_markdown import reply_markdown_class

        if self.streaming:
            yield FrozenMarkdown(id="reply-frozen")
            yield reply_markdown_class()(id="reply-markdown")
        else:  # drawn again from its text: all of it as pre-rendered lines
            self.text = self.entry.turn.text
            yield FrozenMarkdown(self.text, id="reply-frozen")
        yield Static("", classes="reply-status")

    async def on_mount(self) -> None:
        self._show_state()
        if self.streaming:
            await self.catch_up()

    async def catch_up(self) -> None:
        """Show what the entry received that this widget has not shown yet."""
        received = self.entry.turn.text
        if len(received) > len(self.text):
            await self.write(received[len(self.text):])

    @property
    def markdown(self):
        from textual.widgets import Markdown

        return self.query_one("#reply-markdown", Markdown)

    async def write(self, chunk: str) -> None:
        """Append a streamed fragment; the Markdown gets it within ``FLUSH_EVERY`` seconds.

        Each Markdown update re-parses the live block, builds new block widgets and
        restyles them; batching the fragments keeps that work (and the garbage it
        leaves) to a dozen updates a second, however fast the chunks come.
        """
        self.text += chunk
        self._unflushed.append(chunk)
        wait = self._last_flush + FLUSH_EVERY - time.monotonic()
        if wait <= 0:
            await self._flush()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(wait, self._timed_flush)

    async def _timed_flush(self) -> None:
        self._flush_timer = None
        await self._flush()

    async def _flush(self, *, final: bool = False) -> None:
        async with self._flush_lock:
            if not self._unflushed:
                return
            text = "".join(self._unflushed)
            self._unflushed.clear()
            self._last_flush = time.monotonic()
            source = self._tail + text
            burst = len(text) > BURST
            # The last few words go on screen at once: a freeze now would only hold them back
            # (a render, a rebuilt tail) for a reply that no longer grows.
            cut = 0 if final and not burst else freeze_point(source, before_open_fence=burst)
            # Finished blocks go straight to the frozen lines: shown first, the live
            # Markdown would build widgets for them (30-90 ms for a few KB) only to drop
            # them a moment later. Rendering the head holds new words back by a few ms.
            shown = not cut
            if shown:
                await self._show(text)
            if not cut:
                return
            head, frozen = source[:cut], self.query_one(FrozenMarkdown)
            try:
                rendered = await frozen.render_source(head)
            except asyncio.CancelledError:
                if not shown:
                    self._unflushed.insert(0, text)  # nothing changed yet: finish_stream shows it
                raise
            self._tail = source[cut:]
            with self.app.batch_update():  # no frame may show the head twice, or not at all
                frozen.append(head, rendered)
                await self._stop_stream()
                await self._drop_live_blocks()
                await self.markdown.update(self._tail)

    async def _drop_live_blocks(self) -> None:
        """Remove the live Markdown's blocks (tuning collects them while they are young garbage)."""
        markdown = self.markdown
        async with markdown.lock:  # a stopped stream's last append may still be running
            await markdown.remove_children()
        hooks.announce("blocks_removed", container=markdown)
        await asyncio.sleep(0)  # callbacks the removal scheduled still hold blocks just mounted
        hooks.announce("blocks_released")

    async def _show(self, text: str) -> None:
        if self._stream is None:
            from textual.widgets import Markdown

            self._stream = Markdown.get_stream(self.markdown)
        self._tail += text
        await self._stream.write(text)

    async def finish_stream(self) -> None:
        """Show everything received; the next write starts a new stream."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        await self._flush(final=True)
        await self._stop_stream()
        # Ready for when it scrolls back into view, drawn whole. Not a long reply: parsing it
        # whole is one step that cannot be sliced (~250 ms for 100 KB, a stall right as the
        # reply ends); it is rendered when it comes back into view instead.
        if 0 < len(self.entry.turn.text) <= KEEP_RENDERED_UP_TO:
            width = self.query_one(FrozenMarkdown).render_width()
            self.run_worker(keep_rendered(self.entry.turn.text, width), group="keep-rendered", exit_on_error=False)

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    def sync_state(self) -> None:
        """Show the state of the entry's turn (done, cancelled, stopped early and why...)."""
        self.state = _STATE_OF_TURN.get(self.entry.turn.state, "done")
        self._show_state()

    def _show_state(self) -> None:
        state = self.state
        try:
            status = self.query_one(".reply-status", Static)
        except NoMatches:
            return  # its widgets are gone: removed (a new chat, the app closing) as its worker ended
        wanted = f"-{state}"
        stale = [f"-{name}" for name in self.STATES if name != state]
        if wanted not in self.classes or not self.classes.isdisjoint(stale):
            self.remove_class(*stale, update=False)
            self.add_class(wanted, update=False)
            # The state classes style the reply's border and its status line, nothing inside
            # the Markdown (styles/chat.tcss), so only those two are restyled: Textual would
            # restyle every block, once per class changed (~20 ms each for a long reply).
            self.app.stylesheet.update_nodes([self, status], animate=True)
        if state == "cancelled":
            status.update(Content(t("chat.reply_cancelled")))
        elif state in ("truncated", "failed") and self.entry.key:
            status.update(Content(t(self.entry.key, **self.entry.params)))
        else:
            status.update("")

    def retranslate(self) -> None:
        self.border_title = Content(t("chat.gemini", model=self.model))  # a model id: never markup
        self._show_state()

    @classmethod
    def estimate(cls, entry: Entry, width: int) -> int:
        # The blank line between two blocks is a line of the text already (counting it again
        # put a 29-line reply at 44); border, status line and margin add about four.
        return wrapped_lines(entry.turn.text.rstrip("\n"), width - 8) + 4


class Note(Static):
    """A line from the app itself: info, warning or error (``-info``/``-warning``/``-error``)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(Content(t(entry.key, **entry.params) if entry.key else entry.turn.text), classes=f"note -{entry.level}")
        self.entry = entry

    @property
    def key(self) -> str:
        return self.entry.key

    def show_message(self, key: str, level: str, **params: object) -> None:
        """Say another catalogue message, at ``level``."""
        self.entry.key, self.entry.params, self.entry.level = key, params, level
        for name in ("info", "warning", "error"):
            self.set_class(name == level, f"-{name}")
        self.retranslate()

    def retranslate(self) -> None:
        if self.entry.key:
            self.update(Content(t(self.entry.key, **self.entry.params)))

    @classmethod
    def estimate(cls, entry: Entry, width: int) -> int:
        text = t(entry.key, **entry.params) if entry.key else entry.turn.text
        return wrapped_lines(text, width - 3) + 1
