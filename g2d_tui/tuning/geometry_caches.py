"""Smaller caches for Textual's Region arithmetic, so full garbage-collector passes stay short.

``Region.intersection``, ``union``, ``grow`` and ``shrink`` are each under ``lru_cache(4096)``.
In a scrolling chat every entry's region has a new offset each time the log moves, so the
caches fill with keys never asked again: after 120 turns ~17,000 Regions and as many key
tuples, all tracked by the collector (a tuple subclass is never untracked), about a third of
what each full pass walked. The passes grew from ~20 ms to 60-90 ms. A frame asks for a few
hundred distinct regions; 512 entries a method keep its hits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from g2d_tui.tuning._patch import Patches

CACHE_SIZE = 512
"""Entries kept per Region method; Textual keeps 1,024 or 4,096."""


def install() -> Callable[[], None] | None:
    from textual.geometry import Region

    patches = Patches()
    for name, method in list(vars(Region).items()):
        wrapped = getattr(method, "__wrapped__", None)
        info = getattr(method, "cache_info", None)
        if wrapped is None or info is None or (info().maxsize or 0) <= CACHE_SIZE:
            continue
        patches.set(Region, name, lru_cache(maxsize=CACHE_SIZE)(wrapped))
        method.cache_clear()  # what it held goes now, not at the next full pass
    if not len(patches):
        return None  # no cached method left to shrink: Textual changed
    return patches.undo

