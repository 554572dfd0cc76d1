"""How long-running work on the event loop lets the rest of the app run (no Textual here).

Work that runs in slices (parsing a fast reply, rendering frozen Markdown) calls
:func:`let_the_loop_run` between slices. The UI may register a frame that is about to be
painted: the slices then wait for it, so the paint gets a turn of the loop of its own
instead of sharing one with every slice that was ready too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

_frame_to_wait_for: Callable[[], Awaitable[None] | None] | None = None


def wait_for_frames(frame_to_wait_for: Callable[[], Awaitable[None] | None] | None) -> None:
    """Register what returns an awaitable for a frame about to be painted, or None if there is none."""
    global _frame_to_wait_for
    _frame_to_wait_for = frame_to_wait_for


async def let_the_loop_run() -> None:
    await asyncio.sleep(0)
    if _frame_to_wait_for is not None:
        frame = _frame_to_wait_for()
        if frame is not None:
            await frame
