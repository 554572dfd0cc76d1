"""The pieces of a conversation: the user's prompt, Gemini's reply, notes."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator

from rich.segment import Segment
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.geometry import Region
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from g2d_tui import hooks
from g2d_tui.hooks import let_the_loop_run
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


FLUSH_EVERY = 0.08
"""Seconds between Markdown updates while a reply streams."""

FREEZE_AFTER_BLOCKS = 3
"""Blocks the live Markdown tail may hold before its finished part is frozen (see GeminiReply)."""

BURST = 2048
"""New text over this size is a burst: its finished blocks are frozen even before an open fence."""


def freeze_point(source: str, max_blocks: int = FREEZE_AFTER_BLOCKS, *, before_open_fence: bool = False) -> int:
    """Where to cut ``source`` so the part before holds whole blocks, or 0 to keep it all.

    Blocks end at blank lines outside fenced code; we only cut once there are more than
    ``max_blocks`` of them, at the last such blank line. While a fence is still open we
    wait for it to close, unless ``before_open_fence``: then the cut falls before it (for
    a burst, whose finished blocks must not reach the live Markdown).
    """
    boundaries, in_fence, offset = [], False, 0
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not stripped and not in_fence and offset:
            boundaries.append(offset + len(line))
        offset += len(line)
    if len(boundaries) <= max_blocks or (in_fence and not before_open_fence):
        return 0
    return boundaries[-1]


Line = tuple  # of (text, style number) pairs: see render_markdown_lines


class _StylePalette:
    """Numbers for the Rich styles of frozen lines, shared by every reply (and thread).

    A frozen line stored as Segments (named tuples holding a Style) stays tracked by the
    cyclic garbage collector: a long reply added tens of thousands of objects to every
    full collection. Plain tuples of strings and ints are untracked, so they cost nothing.
    """

    def __init__(self) -> None:
        self._numbers: dict[object, int] = {}
        self.styles: list = []
        self._lock = threading.Lock()

    def number(self, style) -> int:
        number = self._numbers.get(style)
        if number is None:
            with self._lock:
                number = self._numbers.get(style)
                if number is None:
                    number = self._numbers[style] = len(self.styles)
                    self.styles.append(style)
        return number


PALETTE = _StylePalette()


def _markdown_lines(source: str, width: int) -> Iterator[Line]:
    """``source`` rendered by Rich's Markdown at ``width`` cells, line by line as Rich makes them."""
    from rich.console import Console
    from rich.markdown import Markdown as RichMarkdown
    from rich.segment import Segment

    console = Console(
        width=width, color_system="truecolor", force_terminal=True, legacy_windows=False,
        markup=False, highlight=False, emoji=False, file=io.StringIO(),
    )
    options = console.options.update_width(width)
    segments = console.render(RichMarkdown(source), options)
    number = PALETTE.number
    top = True
    for line in Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False):
        if top and not line:
            continue  # Rich puts a blank line above a list that opens the source: pieces have their own
        top = False
        yield tuple((segment.text, number(segment.style)) for segment in line)


def render_markdown_lines(source: str, width: int) -> list[Line]:
    """``source`` rendered at ``width`` cells, plus a blank separator line (for a thread)."""
    lines = list(_markdown_lines(source, width))
    lines.append(())
    return lines


RENDER_SLICE = 0.002
"""Seconds of Markdown rendering between two turns of the event loop (see render_markdown_slices)."""

PIECE_CHARS = 1500
"""Source Rich parses at once while rendering in slices (its parse cannot be sliced: ~1 ms a KB)."""


def markdown_pieces(source: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """``source`` cut into pieces of about ``size`` characters at top-level block boundaries:
    a blank line outside fenced code, followed by a line that is not indented (so no list
    item or nested block is split from what it continues)."""
    start, offset, in_fence, blank_before = 0, 0, False, False
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if blank_before and stripped and not line[0].isspace() and offset - start >= size:
            yield source[start:offset]
            start = offset
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        blank_before = not stripped and not in_fence
        offset += len(line)
    if start < len(source):
        yield source[start:]


async def render_markdown_slices(source: str, width: int) -> list[Line]:
    """:func:`render_markdown_lines` on the event loop, ``RENDER_SLICE`` at a time.

    In a thread, Rich held the GIL half of the time while a reply streamed in fast, and
    the event loop's frames took twice as long (paints of 45 ms for 25 ms of work). Rich
    makes its lines lazily, so the loop can render them between its other work instead.
    """
    lines: list[Line] = []
    began = time.perf_counter()
    for piece in markdown_pieces(source):
        for line in _markdown_lines(piece, width):
            lines.append(line)
            if time.perf_counter() - began > RENDER_SLICE:
                await let_the_loop_run()
                began = time.perf_counter()
        lines.append(())
    return lines


def warm_up_markdown_rendering() -> None:
    """Render a tiny reply once, off the event loop, so the first real one does not pay for
    importing Rich's Markdown, Pygments and its colour theme (stalls of 60-170 ms early in it)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    render_markdown_lines("# g2d\n\n- item\n\n```python\nprint(1)\n```\n", 40)
    try:  # Pygments then looks through the plugin lexers (~30 ms, once): a half-streamed "```pyt"
        get_lexer_by_name("g2d-no-such-language")
    except ClassNotFound:
        pass


class FrozenMarkdown(Widget):
    """The finished blocks of a long reply as one widget of pre-rendered lines.

    Textual lays out every Markdown block widget on each update, so a long reply made
    every frame slower. Frozen blocks are rendered once (in slices) by Rich into
    strips; this widget just serves those lines, whatever their number. A new width
    re-renders them in a thread while the old lines stay on screen.
    """

    DEFAULT_CSS = "FrozenMarkdown { width: 1fr; height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: list[str] = []
        self._lines: list[Line] = []
        self._width = 0
        """The width ``_lines`` were rendered for."""
        self._generation = 0
        """Bumped by every full re-render; older results are dropped."""

    @property
    def source(self) -> str:
        return "".join(self.sources)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def render_width(self) -> int:
        """The width to render at: ours once laid out, else our parent's content width."""
        width = self.size.width or (self.parent.content_size.width if self.parent else 0)
        return max(width, 20)

    async def render_source(self, source: str) -> tuple[int, list[Line]]:
        """Render ``source`` (whole blocks) in slices; returns the width used and the lines."""
        width = self.render_width()
        return width, await render_markdown_slices(source, width)

    def append(self, source: str, rendered: tuple[int, list[Line]]) -> None:
        """Add ``source`` and its lines from :meth:`render_source`."""
        width, lines = rendered
        self.sources.append(source)
        if self._width and width != self._width:
            self.render_all(self._width)  # resized meanwhile: keep one width for all lines
        else:
            self._width = width
            added = Region(0, len(self._lines), width, len(lines))
            self._lines.extend(lines)
            self.refresh(added, layout=True)  # the lines above stay as they were rendered

    def render_all(self, width: int) -> None:
        self._generation += 1
        self._render_all(width, self._generation, list(self.sources))

    @work(thread=True, group="frozen-render")
    def _render_all(self, width: int, generation: int, sources: list[str]) -> None:
        lines = [line for source in sources for line in render_markdown_lines(source, width)]
        self.app.call_from_thread(self._replace_lines, width, lines, generation, len(sources))

    def _replace_lines(self, width: int, lines: list[Line], generation: int, count: int) -> None:
        if generation != self._generation:
            return  # a newer re-render is on its way
        if count != len(self.sources):  # a segment arrived meanwhile: render again
            self.render_all(width)
            return
        self._width, self._lines = width, lines
        self.refresh(layout=True)

    def on_resize(self, event) -> None:
        if self.sources and event.size.width != self._width:
            self.render_all(event.size.width)

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.line_count

    _line_style = None
    """This widget's style while its lines render: the same for each, and ~50 µs to work out."""

    def render_lines(self, crop: Region) -> list[Strip]:
        self._line_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None

    def render_line(self, y: int) -> Strip:
        style = self.rich_style if self._line_style is None else self._line_style
        if y >= len(self._lines):
            return Strip.blank(self.size.width, style)
        styles = PALETTE.styles
        return Strip([Segment(text, styles[number]) for text, number in self._lines[y]]).apply_style(style)


class GeminiReply(Vertical):
    """A reply that streams in as Markdown, with a footer line for its state.

    Every Markdown block is a widget and Textual lays all of them out again on each update,
    so a long reply would slow every frame down (seconds per frame at a few hundred blocks).
    Finished blocks are therefore frozen into one :class:`FrozenMarkdown` of pre-rendered
    lines; only the live tail stays a Textual Markdown widget fed by ``get_stream``.
    """

    STATES = ("streaming", "done", "cancelled", "truncated", "failed")

    def __init__(self, model: str) -> None:
        super().__init__(classes="turn")
        self.model = model
        self.text = ""
        """The whole reply, as received."""
        self.state = "streaming"
        self._detail = ""
        self._tail = ""
        """Text in the live Markdown (everything not frozen)."""
        self._unflushed: list[str] = []
        self._last_flush = 0.0
        self._flush_timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        self._stream = None
        self.border_title = t("chat.gemini", model=model)

    def compose(self) -> ComposeResult:
        from g2d_tui.widgets.reply_markdown import reply_markdown_class

        yield FrozenMarkdown(id="reply-frozen")
        yield reply_markdown_class()(id="reply-markdown")
        yield Static("", classes="reply-status")

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

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    def set_state(self, state: str, detail: str = "") -> None:
        """One of :attr:`STATES`."""
        self.state, self._detail = state, detail
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
        if self.state == "cancelled":
            status.update(t("chat.reply_cancelled"))
        elif self.state == "truncated":
            status.update(self._detail)
        else:
            status.update("")

    def retranslate(self) -> None:
        self.border_title = t("chat.gemini", model=self.model)


def width_bound_widgets() -> list[type[Widget]]:
    """Widgets whose rendered lines depend on their width only (tuning keeps them on a new height)."""
    return [GeminiReply, FrozenMarkdown]


class Note(Static):
    """A line from the app itself: info, warning or error (``-info``/``-warning``/``-error``)."""

    def __init__(self, text: str, level: str = "info", *, key: str = "", params: dict[str, object] | None = None) -> None:
        super().__init__(Content(text), classes=f"note -{level}")
        self.key = key
        self.params = params or {}

    def show_message(self, key: str, level: str, **params: object) -> None:
        """Say another catalogue message, at ``level``."""
        self.key, self.params = key, params
        for name in ("info", "warning", "error"):
            self.set_class(name == level, f"-{name}")
        self.retranslate()

    def retranslate(self) -> None:
        if self.key:
            self.update(Content(t(self.key, **self.params)))
