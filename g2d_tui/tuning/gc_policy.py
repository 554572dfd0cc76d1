"""Keep the cyclic garbage collector's pauses short while the screen is busy.

A full collection walks every object the collector tracks. After the imports (Textual,
Rich, then the Gemini SDK with pydantic) that is a few hundred thousand objects, so with
the default settings a streaming reply met full passes of 100-400 ms about once a second.

* No collections at start-up (``pause_for_startup()``, from the command line): nearly all
  that the imports and the first screen allocate lives until exit, so passes then find
  nothing to free; they cost ~15 ms of Textual's import alone. The app's first
  ``freeze_long_lived()`` turns collections back on.
* ``freeze_long_lived()`` after big imports: ``gc.freeze()`` moves everything alive into
  a permanent generation that collections skip. Anything frozen that later becomes
  cyclic garbage is never freed, so we freeze only when many modules were loaded since
  the last time, never per reply or per image; and after a freeze past start-up, once
  the app is idle, ``refreeze_when_idle()`` unfreezes, collects and freezes again.
* A larger young generation: Textual's Markdown builds and drops block widgets (cyclic
  garbage) on every update; collected young, they never reach the old generation whose
  growth is what triggers full passes. 20,000 instead of 700 allocations costs a few ms
  per young collection and cut full passes during a 5,000-chunk reply from ~24 to ~2.
* While a reply streams (``streaming()``), nothing but the young generation is collected
  on its own; see there.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG_GENERATION_THRESHOLD = 20_000
_NEW_MODULES_WORTH_A_FREEZE = 25
_modules_at_last_freeze = 0
_refreeze_due = False
_frozen_after_startup = False
"""Conversation widgets may be frozen: a removed one is then freed only by a refreeze."""


def pause_for_startup() -> None:
    gc.disable()


def freeze_long_lived() -> bool:
    """Freeze what is alive now if many modules were imported since the last freeze.

    A frozen object is never collected, so a freeze after start-up (the Gemini SDK's
    import) also keeps the garbage of the moment, and every widget then on screen that is
    removed afterwards: taken when the model list arrived during the first /imagine, it
    kept that card and its pixels alive. It still freezes at once (left in the young
    generations, the SDK's objects made the next collection a 90 ms pause), and asks for
    ``refreeze_when_idle``, which lets go of whatever should not have been frozen.

    Returns:
        True if it froze.
    """
    global _refreeze_due, _frozen_after_startup
    gc.enable()
    loaded = len(sys.modules)
    if loaded - _modules_at_last_freeze < _NEW_MODULES_WORTH_A_FREEZE:
        return False
    after_startup = bool(_modules_at_last_freeze)
    _freeze()
    if after_startup:
        _frozen_after_startup = _refreeze_due = True
    return True


def refreeze_due() -> bool:
    return _refreeze_due


def refreeze_when_idle() -> bool:
    """Unfreeze, collect everything, freeze again: a pass of 100-250 ms, for when nothing
    moves on screen. Due after a freeze that came after start-up, and after widgets that
    may have been frozen were removed (``widgets_removed``, ``collect_while_quiet(full=True)``)."""
    global _blocks_after_full_pass
    if not _refreeze_due:
        return False
    gc.unfreeze()
    gc.collect()
    _freeze()
    _blocks_after_full_pass = sys.getallocatedblocks()
    return True


def widgets_removed() -> None:
    """Many widgets just left the screen: if they may be frozen, a refreeze is due."""
    global _refreeze_due
    if _frozen_after_startup:
        _refreeze_due = True


def _freeze() -> None:
    global _modules_at_last_freeze, _blocks_at_freeze, _refreeze_due
    _modules_at_last_freeze = len(sys.modules)
    _refreeze_due = False
    gc.freeze()
    _blocks_at_freeze = sys.getallocatedblocks()


def tune_thresholds() -> None:
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)


OLD_GROWTH_FOR_A_FULL_PASS = 0.1
"""A full pass once what is not frozen grew by a tenth. CPython waits for a quarter, and
freeing a quarter's worth of dead widgets took up to ~100 ms; smaller, more frequent passes
stayed under ~45 ms on a 2-CPU machine. (While a reply streams there are none: see
``streaming()``.)"""

_blocks_at_freeze = 0
_blocks_after_full_pass = 0


def collect_while_quiet(*, full: bool = False, later: Callable[[Callable[[], None]], object] | None = None) -> None:
    """Collect the young generations now, at a quiet moment: after an image, after a reply.

    An automatic collection fires inside whatever is allocating, e.g. while a card is half
    built: its live objects get promoted, die a moment later and pile up in the middle
    generation, whose passes then took 100-400 ms. Collected here, that garbage is
    already unreachable and the pass takes a few ms.
    The old generation gets its full pass here too, when it grew by
    ``OLD_GROWTH_FOR_A_FULL_PASS``, measured in allocated memory blocks:
    ``gc.get_objects()`` would give its size, but it can hand out a tuple that another
    thread is still building (CPython then raises SystemError in that thread).
    ``full`` asks for the full pass regardless, e.g. when many widgets were just removed;
    if those may have been frozen, it also makes a ``refreeze_when_idle`` due.
    ``later`` runs the full pass it is given at another moment (e.g. a timer): the two
    passes back to back were one pause of 30-40 ms.
    """
    gc.collect(1)
    unfrozen = max(_blocks_after_full_pass - _blocks_at_freeze, 1)
    if full or sys.getallocatedblocks() - _blocks_after_full_pass > unfrozen * OLD_GROWTH_FOR_A_FULL_PASS:
        if later is None:
            _full_pass()
        else:
            later(_full_pass)
    if full:
        widgets_removed()  # what was removed may be frozen: only an unfreeze lets it go


def _full_pass() -> None:
    global _blocks_after_full_pass
    gc.collect(2)
    _blocks_after_full_pass = sys.getallocatedblocks()


_NEVER = 1 << 30
_streams = 0
_thresholds_before_streaming: tuple[int, int, int] | None = None


@contextmanager
def streaming() -> Iterator[None]:
    """While a reply streams, only the young generation is collected on its own.

    The live Markdown's block widgets live for a few updates, until the next freeze removes
    them (see ``GeminiReply``). Any middle-generation pass in between promoted the live ones
    to the old generation, where they soon died, so full passes (40-100 ms here) came a few
    times a second. Now the middle generation is collected only by ``collect_dead_blocks()``,
    right after a freeze removed them, and full passes wait for ``collect_while_quiet()``
    once the reply is over.
    """
    global _streams, _thresholds_before_streaming
    if _streams == 0:
        _thresholds_before_streaming = gc.get_threshold()
        gc.set_threshold(_thresholds_before_streaming[0], _NEVER, _NEVER)
    _streams += 1
    try:
        yield
    finally:
        _streams -= 1
        if _streams == 0 and _thresholds_before_streaming is not None:
            gc.set_threshold(*_thresholds_before_streaming)


def collect_young() -> None:
    """After a Markdown update: its short-lived garbage, collected between two updates."""
    gc.collect(0)


def collect_dead_blocks() -> None:
    """After a freeze removed the live blocks, while nothing else young is alive for long."""
    gc.collect(1)


COLLECT_AFTER_REPLY = 1.0
"""Seconds after a reply ends before the full collection it put off (see ``streaming``)."""

ARCHIVE_COLLECT_DELAY = 0.3
"""Seconds between the young and the full pass after cards were archived: back to back
they were one pause of 30-40 ms."""

PUT_OFF_AT_MOST = 3
"""Replies whose after-reply pass the next one cancelled before it ran, after which it
runs right after the reply instead."""

COLLECT_WHEN_PUT_OFF = 0.05
"""Seconds after a reply's end for a pass put off too often: the end gets painted first."""

_reply_streams: list = []
_collect_after_reply = None
_put_off = 0


def install():
    """The gc-policy piece of :mod:`g2d_tui.tuning`: listens to what the app announces."""
    import asyncio

    from g2d_tui import hooks
    from g2d_tui.tuning.textual_patches import forget_removed_children

    thresholds = gc.get_threshold()

    def mounted(**_details) -> None:
        freeze_long_lived()  # Textual, Rich and our modules: alive until exit
        tune_thresholds()

    def reply_started(**_details) -> None:
        global _collect_after_reply, _put_off
        if _collect_after_reply is not None:  # this reply's end will run it
            _collect_after_reply.cancel()
            _collect_after_reply = None
            _put_off += 1
        stream = streaming()
        stream.__enter__()
        _reply_streams.append(stream)

    def reply_finished(**_details) -> None:
        global _collect_after_reply
        if _reply_streams:
            _reply_streams.pop().__exit__(None, None, None)
        # The full pass the stream put off, once the reader has the end on screen; soon
        # after the end when replies follow each other too fast for that delay: the
        # widgets that scrolled out of the log are freed only by this pass.
        delay = COLLECT_AFTER_REPLY if _put_off < PUT_OFF_AT_MOST else COLLECT_WHEN_PUT_OFF
        _collect_after_reply = asyncio.get_running_loop().call_later(delay, _after_reply)


    def cards_archived(archived: bool = True, **_details) -> None:
        # An /imagine leaves ~200 dead widgets (status lines, footer keys, the archived card),
        # old enough to have reached the old generation, where they waited ~10 images for a
        # full pass: RSS grew ~0.4 MB per image.
        loop = asyncio.get_running_loop()
        collect_while_quiet(full=archived, later=lambda full_pass: loop.call_later(ARCHIVE_COLLECT_DELAY, full_pass))

    def idle(**_details) -> None:
        if refreeze_due():
            refreeze_when_idle()

    hooks.listen("app_mounted", mounted)
    hooks.listen("modules_loaded", lambda **_details: freeze_long_lived())
    hooks.listen("reply_started", reply_started)
    hooks.listen("reply_finished", reply_finished)
    hooks.listen("markdown_updated", lambda **_details: collect_young())
    hooks.listen("blocks_removed", lambda container, **_details: forget_removed_children(container))
    hooks.listen("blocks_released", lambda **_details: collect_dead_blocks())
    hooks.listen("widgets_removed", lambda **_details: widgets_removed())
    hooks.listen("cards_archived", cards_archived)
    hooks.listen("idle", idle)

    def undo() -> None:
        while _reply_streams:
            _reply_streams.pop().__exit__(None, None, None)
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable()

    return undo


def _after_reply() -> None:
    global _collect_after_reply, _put_off
    _collect_after_reply = None
    _put_off = 0
    collect_while_quiet()
    freeze_long_lived()  # the first reply may have imported the Gemini SDK


def install_allocator():
    """The allocator piece: big blocks keep their own mappings from the first decode on."""
    from g2d_tui import hooks
    from g2d_tui.tuning.allocator import return_big_buffers

    if not sys.platform.startswith("linux"):
        return None
    hooks.listen("image_decoding", lambda **_details: return_big_buffers())
    return lambda: None
