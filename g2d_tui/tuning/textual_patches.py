"""Work-arounds for Textual costs that a long chat session runs into.

Each function applies one piece of :mod:`g2d_tui.tuning` and returns what undoes it, or
None when the code it replaces is not the code it was written for (a changed Textual is
left alone).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import NamedTuple

from g2d_tui import hooks
from g2d_tui.tuning._patch import Patches

Undo = Callable[[], None]


SLOW_LAYOUT = 0.003
"""Seconds of layout after which the frame's paint waits for a later turn of the event loop."""

PAINT_DELAY = 0.004
"""How long such a paint waits. What came due during the layout (a key press, a network read,
a timer) wakes its task in one turn of the loop and runs it in the next: both go first."""

MAX_PAINT_WAIT = 0.050
"""Another slow layout pushes a waiting paint back by ``PAINT_DELAY``, up to this long after it was asked."""


class _PendingPaint(NamedTuple):
    handle: asyncio.TimerHandle
    first_asked: float
    """When the first paint it stands for was put off (``MAX_PAINT_WAIT``)."""
    after_batch: bool
    """Waiting for a batch update to end, not for a slow layout's next loop turn."""


def paint_after_slow_layouts() -> Undo | None:
    """A frame whose layout was slow is painted in a later turn of the event loop.

    Textual lays out and paints a frame in one callback. While a long reply streams that was
    20-30 ms of layout plus 30-45 ms of paint, and input, network reads and timers waited
    for both. Now they run in between. The paint draws whatever is dirty when it runs, so a
    layout or paint in the meantime is harmless: Textual itself defers paints like this
    during a batch update (and those now wait for the batch to end). Another slow layout
    before the paint ran pushes it back: it was often due in the same turn of the loop.
    What was asked to run after the refresh (``call_after_refresh``) runs after that paint:
    it came in between, e.g. the footer's rebuild once an image was shown, whose batch
    update then held the new picture's paint back by 50-100 ms.
    """
    from textual.screen import Screen

    methods = {
        name: Screen.__dict__.get(name)
        for name in ("_on_timer_update", "_refresh_layout", "_compositor_refresh", "_invoke_and_clear_callbacks")
    }
    if None in methods.values() or getattr(methods["_refresh_layout"], "paints_later", False) \
            or not all("_compositor_refresh" in methods[name].__code__.co_names for name in ("_on_timer_update", "_refresh_layout")):
        return None  # not the shape this was written for, or patched already
    paint = methods["_compositor_refresh"]
    invoke_callbacks = methods["_invoke_and_clear_callbacks"]

    def frame_step(method):
        """Notes when the frame began; the first of these calls is the frame."""

        def step(self, *args, **kwargs):
            first = getattr(self, "_g2d_frame_started", None) is None
            if first:
                self._g2d_frame_started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                if first:
                    self._g2d_frame_started = None

        step.paints_later = True
        return step

    def _compositor_refresh(self) -> None:
        started = getattr(self, "_g2d_frame_started", None)
        if self.app._batch_count:
            # A layout during a batch update schedules this paint, which could run before the
            # batch ends: Textual would render the changes, then drop them unseen.
            _paint_soon(self, after_batch=True)
        elif started is None or time.perf_counter() - started < SLOW_LAYOUT:
            paint(self)
        else:
            _paint_soon(self, after_batch=False, after_this_layout=True)

    def _paint_soon(screen, *, after_batch: bool, after_this_layout: bool = False) -> None:
        pending = getattr(screen, "_g2d_paint_pending", None)
        now = time.perf_counter()
        if pending is not None:
            handle, first_asked = pending.handle, pending.first_asked
            # A slow layout while a paint waits: the paint may already be due in this very
            # turn of the loop, right behind the layout. Push it back, within a limit.
            if not after_this_layout or now - first_asked > MAX_PAINT_WAIT:
                return
            handle.cancel()
        else:
            first_asked = now
        handle = asyncio.get_running_loop().call_later(PAINT_DELAY, _paint_later, screen, after_batch)
        screen._g2d_paint_pending = _PendingPaint(handle, first_asked, after_batch)

    def _paint_later(screen, after_batch: bool) -> None:
        screen._g2d_paint_pending = None
        for waiter in getattr(screen, "_g2d_paint_waiters", ()):
            if not waiter.done():
                waiter.set_result(None)  # resumed after this callback: the paint runs alone
        screen._g2d_paint_waiters = []
        if not (screen.is_attached and screen.app.is_running):
            return
        if screen.app._batch_count:  # still open, or one began meanwhile
            _paint_soon(screen, after_batch=True)
        elif after_batch and getattr(screen, "_layout_required", False):
            screen.check_idle()  # a frame is due anyway: it lays out and paints it all
        else:
            _paint_with_pending_requests(screen)
        if getattr(screen, "_g2d_callbacks_held", False):  # never held for a batch: it may wait on them
            screen._g2d_callbacks_held = False
            screen.call_next(screen._invoke_and_clear_callbacks)

    async def _invoke_callbacks_after_paint(self) -> None:
        pending = getattr(self, "_g2d_paint_pending", None)
        if pending is not None and not pending.after_batch:  # put off by a slow layout: due in ms
            self._g2d_callbacks_held = True
            return
        await invoke_callbacks(self)

    def _paint_with_pending_requests(screen) -> None:
        # Repaint requests made since the layout: Textual moves them to the compositor before
        # it paints (Screen._on_timer_update); a paint without them would clear them unseen.
        compositor = getattr(screen, "_compositor", None)
        if hasattr(compositor, "update_widgets") and isinstance(getattr(screen, "_dirty_widgets", None), set):
            compositor.update_widgets(screen._dirty_widgets)
        paint(screen)

    def paint_to_wait_for():
        """A future for the paint put off by a slow layout on the active app's screen, if any."""
        from textual._context import active_app

        try:
            screen = active_app.get().screen
        except Exception:  # noqa: BLE001 - no app, or no screen yet: nothing to wait for
            return None
        pending = getattr(screen, "_g2d_paint_pending", None)
        if pending is None or pending.after_batch:  # a batch may be waiting on the caller
            return None
        waiter = asyncio.get_running_loop().create_future()
        screen.__dict__.setdefault("_g2d_paint_waiters", []).append(waiter)
        return waiter

    patches = Patches()
    patches.set(Screen, "_on_timer_update", frame_step(methods["_on_timer_update"]))
    patches.set(Screen, "_refresh_layout", frame_step(methods["_refresh_layout"]))
    patches.set(Screen, "_compositor_refresh", _compositor_refresh)
    patches.set(Screen, "_invoke_and_clear_callbacks", _invoke_callbacks_after_paint)
    hooks.fill("frame_to_wait_for", paint_to_wait_for)
    hooks.listen("picture_shown", _frame_now_for_picture)
    return patches.undo


def _frame_now_for_picture(screen=None, **_details) -> None:
    """A new picture's layout and repaint requests are messages to its screen: handled
    first, then the frame is drawn at once (see :func:`frame_now`)."""
    if screen is not None:
        screen.call_later(frame_now, screen)


def frame_now(screen) -> None:
    """Lay out and paint what changed now, not at the screen timer's next tick.

    Textual draws frames on a 60 Hz timer; what changes between two ticks waits for the
    next one, up to 17 ms (on average 8). For a new picture that wait is pure delay.
    """
    on_timer_update = getattr(screen, "_on_timer_update", None)
    if on_timer_update is None or not screen.is_current or screen.app._batch_count:
        return
    on_timer_update()


def preload_css() -> Undo | None:
    """Widget classes announced as mounted later get their CSS added and parsed at a quiet moment."""
    hooks.listen("widgets_expected", preload_default_css)
    return lambda: None


def preload_default_css(app, widget_classes, **_details) -> None:
    """Add the ``DEFAULT_CSS`` of widgets mounted later to ``app``'s stylesheet, and parse it now.

    Textual adds a widget class's CSS when the first one is mounted, and then parses its
    whole stylesheet again (2-12 ms each): as the first /imagine card appeared, as each
    kind of Markdown block first showed up in a streaming reply. Added here, the sources
    are already there then, so nothing is parsed again. Done the way Textual's own
    ``Widget._post_register`` does it, for the same classes it would meet.
    """
    from types import SimpleNamespace

    from textual.dom import DOMNode

    stylesheet = app.stylesheet
    get_default_css = getattr(DOMNode, "_get_default_css", None)
    css_bases = getattr(DOMNode, "_css_bases", None)
    if get_default_css is None or css_bases is None or not hasattr(stylesheet, "add_source"):
        return  # not the shape this was written for
    for widget_class in widget_classes:
        # _get_default_css only asks the instance for its class's bases.
        for read_from, css, tie_breaker, scope in get_default_css(SimpleNamespace(_node_bases=css_bases(widget_class))):
            stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope)
    stylesheet.rules_map  # noqa: B018 - parses the sources now, at a quiet moment


def forget_removed_children(container, **_details) -> None:
    """Make Textual let go of the widgets just removed from ``container``.

    Until the next frame, the parent's cached list of displayed children and its cached
    arrangements, the screen's compositor map and its repaint requests still hold them, so
    a garbage collection now would find them alive and keep them for a long time (see
    ``GeminiReply._drop_live_blocks``). Lays the screen out at once, without them; during a
    batch update, the paint waits for its end (see ``_paint_after_slow_layouts``).
    """
    container.children.displayed  # NodeList recomputes its cached list when asked
    # Arrangements cached for the old children (keyed by an older NodeList) still place them.
    clear_arrangements = getattr(container, "_clear_arrangement_cache", None)
    if clear_arrangements is not None:
        clear_arrangements()
    screen = container.screen
    refresh_layout = getattr(screen, "_refresh_layout", None)
    repaint_requests = getattr(screen, "_dirty_widgets", None)
    if refresh_layout is None or not isinstance(repaint_requests, set):
        return  # not the shape this was written for
    refresh_layout()
    # Their requests for a repaint: the layout noted the regions they left.
    repaint_requests.difference_update([widget for widget in repaint_requests if not widget.is_attached])


_STRIP_CACHES = {
    "_divide_cache": 4, "_crop_cache": 16, "_style_cache": 16, "_filter_cache": 4,
    "_line_length_cache": 4, "_crop_extend_cache": 4, "_offsets_cache": 4,
}
"""Strip's per-instance caches and their sizes, as ``Strip.__init__`` creates them."""


class _LazyCache:
    """Stands in for one of Strip's cache slots: the FIFOCache is made on first use."""

    __slots__ = ("slot", "size", "make")

    def __init__(self, slot, size: int, make) -> None:
        self.slot, self.size, self.make = slot, size, make

    def __get__(self, strip, owner=None):
        if strip is None:
            return self
        try:
            return self.slot.__get__(strip, owner)
        except AttributeError:
            cache = self.make(self.size)
            self.slot.__set__(strip, cache)
            return cache

    def __set__(self, strip, value) -> None:
        self.slot.__set__(strip, value)


def lazy_strip_caches() -> Undo | None:
    """Every ``Strip`` (one per line per render) made seven FIFOCaches up front, though most
    strips are never cropped, divided or restyled. During a streamed reply that was most of
    the objects the cyclic collector had to walk (gen-1 passes of 100-400 ms); made lazily,
    a strip costs one object until a cache is really used.
    """
    from textual.cache import FIFOCache
    from textual.strip import Strip

    original = Strip.__init__
    names = original.__code__.co_names
    if set(Strip.__slots__) != {*_STRIP_CACHES, "_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count"} \
            or not all(name in names for name in _STRIP_CACHES) or "FIFOCache" not in names:
        return None  # Strip changed upstream: leave it alone
    patches = Patches()
    for name, size in _STRIP_CACHES.items():
        patches.set(Strip, name, _LazyCache(Strip.__dict__[name], size, FIFOCache))

    def __init__(self, segments, cell_length=None) -> None:
        self._segments = list(segments)
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    __init__.__doc__ = original.__doc__
    patches.set(Strip, "__init__", __init__)
    return patches.undo
