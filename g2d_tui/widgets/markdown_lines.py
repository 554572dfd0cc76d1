"""Markdown drawn from lines rendered once by Rich: the finished part of a reply.

Textual lays out every Markdown block widget on each update, so a long reply made every
frame slower. Finished blocks are rendered once (in slices, or in a thread) by Rich into
lines of text and style numbers; :class:`FrozenMarkdown` just serves those lines, whatever
their number. A reply that scrolls back into view is drawn again from its text: recent
renders are kept in a small cache, so scrolling back and forth does not render again.
"""

from __future__ import annotations

import io
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

from rich.segment import Segment
from textual import work
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from g2d_tui.hooks import let_the_loop_run

FREEZE_AFTER_BLOCKS = 3
"""Blocks the live Markdown tail may hold before its finished part is frozen (see GeminiReply)."""


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


SYNC_RENDER_CHARS = 8000
"""A finished reply up to this size is rendered as it is laid out (a few ms); a longer
one in a thread, its lines filled in when ready."""

CACHE_LINES = 5_000
"""Rendered lines kept for replies out of view: about a hundred replies of a long chat or
120 screens, ~2 MB. What is older renders again when it comes back (~20 ms a reply)."""

_cache: OrderedDict[tuple[str, int], list[Line]] = OrderedDict()
_cached_lines = 0
_cache_lock = threading.Lock()


def cached_lines(source: str, width: int) -> list[Line]:
    """``render_markdown_lines(source, width)``, from the cache when it was rendered lately."""
    key = (source, width)
    with _cache_lock:
        lines = _cache.get(key)
        if lines is not None:
            _cache.move_to_end(key)
            return lines
    lines = render_markdown_lines(source, width)
    _keep(key, lines)
    return lines


def _keep(key: tuple[str, int], lines: list[Line]) -> None:
    global _cached_lines
    with _cache_lock:
        if key not in _cache:
            _cache[key] = lines
            _cached_lines += len(lines)
            while _cached_lines > CACHE_LINES and len(_cache) > 1:
                _, dropped = _cache.popitem(last=False)
                _cached_lines -= len(dropped)


def cache_size() -> tuple[int, int]:
    """Replies and lines in the render cache."""
    with _cache_lock:
        return len(_cache), _cached_lines


async def keep_rendered(source: str, width: int) -> None:
    """Put ``source`` rendered at ``width`` in the cache, ``RENDER_SLICE`` at a time.

    For a reply that just finished streaming: it was drawn in pieces, so when it comes back
    into view after scrolling away it would be rendered whole while the log lays out (~20-40
    ms a reply, on the way to the page the user asked for). Rendered now, between frames,
    the page finds it ready.
    """
    key = (source, width)
    with _cache_lock:
        if key in _cache:
            return
    lines: list[Line] = []
    began = time.perf_counter()
    for line in _markdown_lines(source, width):
        lines.append(line)
        if time.perf_counter() - began > RENDER_SLICE:
            await let_the_loop_run()
            began = time.perf_counter()
    lines.append(())
    _keep(key, lines)


class FrozenMarkdown(Widget):
    """Markdown shown as one widget of pre-rendered lines.

    Fed two ways: a streaming reply appends its finished blocks as they come (rendered in
    slices on the event loop, :meth:`render_source` then :meth:`append`); a reply drawn again
    from its text gets it whole (``source=``) and renders it when it learns its width. A new
    width re-renders in a thread while the old lines stay on screen.
    """

    DEFAULT_CSS = "FrozenMarkdown { width: 1fr; height: auto; }"

    def __init__(self, source: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: list[str] = [source] if source else []
        self._lines: list[Line] = []
        self._width = 0
        """The width ``_lines`` were rendered for."""
        self._generation = 0
        """Bumped by every full re-render; older results are dropped."""
        self._rendering_width = 0

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
        self._rendering_width = width
        self._render_all(width, self._generation, list(self.sources))

    @work(thread=True, group="frozen-render")
    def _render_all(self, width: int, generation: int, sources: list[str]) -> None:
        if len(sources) == 1:
            lines = cached_lines(sources[0], width)
        else:
            lines = [line for source in sources for line in render_markdown_lines(source, width)]
        self.app.call_from_thread(self._replace_lines, width, lines, generation, len(sources))

    def _replace_lines(self, width: int, lines: list[Line], generation: int, count: int) -> None:
        if generation != self._generation:
            return  # a newer re-render is on its way
        if count != len(self.sources):  # a segment arrived meanwhile: render again
            self.render_all(width)
            return
        self._width, self._lines, self._rendering_width = width, lines, 0
        self.refresh(layout=True)

    def on_unmount(self) -> None:
        # Scrolled far away (or closed): the entry keeps the text, the cache the recent
        # renders. A removed widget can wait a while for the cyclic collector; its lines
        # (~20 KB a reply) need not wait with it.
        self._generation += 1  # a render still on its way is dropped
        self._lines, self._width, self._rendering_width = [], 0, 0

    def on_resize(self, event) -> None:
        if self.sources and event.size.width not in (self._width, self._rendering_width):
            self.render_all(event.size.width)

    def get_content_height(self, container, viewport, width: int) -> int:
        if self.sources and not self._width and not self._rendering_width:
            # Drawn again from its text: small replies now, long ones in a thread.
            source = self.source
            if len(source) <= SYNC_RENDER_CHARS:
                self._lines, self._width = cached_lines(source, max(width, 20)), max(width, 20)
            else:
                self.render_all(max(width, 20))
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
