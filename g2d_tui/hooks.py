"""What the app announces, and the slots its optional runtime tuning fills. No Textual here.

Widgets, screens and services say what happened ("a reply finished", "widgets were
removed", "the app is idle") and never call the garbage collector or patch anything
themselves. :mod:`g2d_tui.tuning`, applied from the entry point only, listens and decides
what to do; with tuning off (``--no-tuning``) nobody listens and every slot is empty, so
the app runs on stock Textual and textual-image.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

Event = Literal[
    "app_mounted",  # the first screen is up: start-up imports are done
    "modules_loaded",  # a big import finished (the Gemini SDK)
    "reply_started",
    "reply_finished",
    "markdown_updated",  # a streaming reply's Markdown was updated
    "blocks_removed",  # details: container= the widget whose children were just removed
    "blocks_released",  # a loop turn later: nothing Textual scheduled holds them any more
    "widgets_removed",  # many widgets left the screen (a new chat)
    "widgets_expected",  # details: app=, widget_classes= that will be mounted later
    "cards_archived",  # after a picture: details: archived= whether old cards became one-line notes
    "picture_shown",  # details: screen= the screen it was mounted on
    "idle",  # nothing typed and no running work for a while
    "image_decoding",  # an image is about to be decoded (big buffers)
]

_listeners: dict[str, list[Callable[..., Any]]] = {}
_slots: dict[str, Any] = {}


def announce(event: Event, **details: Any) -> None:
    """Tell whoever listens that ``event`` happened; nothing happens if nobody does."""
    for listener in _listeners.get(event, ()):
        listener(**details)


def listen(event: Event, listener: Callable[..., Any]) -> None:
    _listeners.setdefault(event, []).append(listener)


def fill(slot: str, value: Any) -> None:
    """Put ``value`` in ``slot`` (e.g. a faster widget class); see :func:`slot`."""
    _slots[slot] = value


def slot(slot_name: str, default: Any = None) -> Any:
    """What tuning put in ``slot_name``, else ``default`` (the stock behaviour)."""
    return _slots.get(slot_name, default)


def reset() -> None:
    """Forget every listener and slot (tests)."""
    _listeners.clear()
    _slots.clear()


async def let_the_loop_run() -> None:
    """For work done in slices on the event loop: let everything else run once.

    With tuning on, a frame about to be painted is waited for too (slot ``frame_to_wait_for``:
    a callable returning an awaitable, or None when no frame is pending), so the paint gets a
    turn of the loop of its own instead of sharing one with every slice that was ready.
    """
    await asyncio.sleep(0)
    frame_to_wait_for: Callable[[], Awaitable[None] | None] | None = _slots.get("frame_to_wait_for")
    if frame_to_wait_for is not None:
        frame = frame_to_wait_for()
        if frame is not None:
            await frame
