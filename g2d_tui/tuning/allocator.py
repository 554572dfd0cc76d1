"""Make freed image buffers go back to the system (glibc only; elsewhere a no-op)."""

from __future__ import annotations

import functools
import sys

M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameter number (malloc.h)."""

MMAP_THRESHOLD = 128 * 1024
"""glibc's initial value: blocks this big or bigger get their own mapping."""


@functools.cache
def return_big_buffers() -> bool:
    """Keep glibc serving big blocks (decoded pictures, PNG buffers) from their own mappings.

    glibc starts that way, but after the first big block is freed it raises the threshold
    (up to 32 MB) and serves later ones from its heaps, where freed space mostly stays in
    the process: RSS crept up with every picture. Setting the threshold fixes it in place.
    Called on the first decode, so start-up does not pay for ctypes.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc-like: nothing to tune
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
