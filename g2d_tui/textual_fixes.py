"""Work-arounds for Textual memory leaks that a long chat session runs into.

Each patch checks that the bug is still there, so a fixed Textual is left alone.
"""

from __future__ import annotations

from functools import lru_cache


def apply() -> None:
    _unpin_styles_caches()


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
