"""Work-arounds for Textual costs that a long chat session runs into.

Each patch checks that the code it replaces is still there, so a changed Textual is left alone.
"""

from __future__ import annotations

from functools import lru_cache


def apply() -> None:
    _unpin_styles_caches()
    _lazy_strip_caches()
    _forget_finished_work()


def _forget_finished_work() -> None:
    """A finished Worker drops its work: the function and the arguments bound to it.

    asyncio leaves a cancelled timer handle in the loop's heap until its time comes, and
    the handle keeps the context it was made in. Made inside a worker (an HTTP timeout,
    minutes long), that context holds the Worker (Textual's ``active_worker``), the Worker
    its work, the work its arguments: every finished /imagine kept its card, widgets and
    pixels alive for as long as its timeouts would have run.
    """
    from textual.worker import Worker

    run = Worker.__dict__.get("_run")
    if run is None or getattr(run, "forgets_work", False) or "_work" not in Worker.__init__.__code__.co_names:
        return  # not the shape this was written for, or patched already

    async def _run(self, app) -> None:
        try:
            await run(self, app)
        finally:
            self._work = None

    _run.forgets_work = True
    Worker._run = _run


def _unpin_styles_caches() -> None:
    """Textual issue #6665: ``StylesCache.get_inner_outer`` is an *instance* method under
    ``lru_cache(1024)``, so the cache keys hold up to 1,024 StylesCache objects, each with
    every line its widget last rendered. Widgets removed long ago (old image cards, their
    pictures) stayed in memory: about 1 MB per /imagine. The result only depends on the
    two colours, so cache on those alone.
    """
    from textual._styles_cache import StylesCache

    method = StylesCache.__dict__.get("get_inner_outer")
    if not hasattr(method, "cache_info"):
        return  # not the lru-wrapped method any more: fixed upstream
    compute = method.__wrapped__

    @lru_cache(1024)
    def inner_outer(base_background, background):
        return compute(None, base_background, background)

    def get_inner_outer(self, base_background, background):
        return inner_outer(base_background, background)

    StylesCache.get_inner_outer = get_inner_outer
    method.cache_clear()


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


def _lazy_strip_caches() -> None:
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
        return  # Strip changed upstream: leave it alone
    for name, size in _STRIP_CACHES.items():
        setattr(Strip, name, _LazyCache(Strip.__dict__[name], size, FIFOCache))

    def __init__(self, segments, cell_length=None) -> None:
        self._segments = list(segments)
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    __init__.__doc__ = original.__doc__
    Strip.__init__ = __init__
