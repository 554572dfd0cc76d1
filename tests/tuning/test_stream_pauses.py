"""What keeps a streaming reply free of long pauses: young-garbage collections, deferred paints."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import weakref
from contextlib import asynccontextmanager

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from g2d_tui.tuning import gc_policy
from g2d_tui.tuning import textual_patches as textual_fixes
from g2d_tui.screens import chat
from g2d_tui.widgets import turns
from g2d_tui.widgets.turns import FrozenMarkdown, GeminiReply
from tests.fakes.gemini_server import Reply
from tests.ui.helpers import keyed_settings, make_app, poll_without_pilot, send, settle, until

# Many blocks, a few words a chunk, spread over several Markdown updates: several freezes.
LONG_REPLY = "".join(
    f"## Part {n}\n\nSome words about part {n}.\n\n- one\n- two\n- three\n\n" for n in range(12)
) + "The end."


async def test_blocks_removed_at_a_freeze_are_freed_without_a_full_collection(fake_gemini, monkeypatch):
    """If Textual still held them when the freeze collects, they would live on in the old generation."""
    survivors: list[int] = []
    removed: list[int] = []
    real_drop = GeminiReply._drop_live_blocks

    async def drop_and_check(self):
        blocks = [weakref.ref(widget) for widget in self.markdown.query("*")]
        await real_drop(self)
        removed.append(len(blocks))
        survivors.append(sum(ref() is not None for ref in blocks))

    monkeypatch.setattr(GeminiReply, "_drop_live_blocks", drop_and_check)
    # One Markdown update per chunk, however busy the machine: batched by time, a slow run
    # merged the chunks into a few updates and made fewer freezes than this test needs.
    monkeypatch.setattr(turns, "FLUSH_EVERY", 0.0)
    full_passes_while_streaming = []

    def note(phase, info):
        if phase == "start" and info["generation"] == 2 and gc.get_threshold()[2] > 10_000:
            full_passes_while_streaming.append(info)

    # A word at a time: most updates show a few words, so blocks pile up in the live Markdown
    # until a freeze (a flush holding finished blocks sends them straight to the frozen lines).
    # The reply waits after its first word until the Pilot's own waits are over: those walk
    # the screen holding a list of every widget, which a busy machine stretched across a freeze.
    go_on = threading.Event()
    fake_gemini.enqueue(Reply.of(LONG_REPLY, words_per_chunk=1, delay=0.01, hold=go_on))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        gc.callbacks.append(note)
        try:
            await send(pilot, "a long answer")
            go_on.set()
            ended = await poll_without_pilot(
                lambda: app.screen.query(GeminiReply) and not any(worker.is_running for worker in app.workers))
            assert ended, "timed out waiting for the reply to end"
            await settle(pilot)
        finally:
            gc.callbacks.remove(note)
        reply = app.screen.query_one(GeminiReply)
        assert reply.text == LONG_REPLY and reply.state == "done"
        # ...and the layouts after each freeze still sized everything
        frozen = reply.query_one(FrozenMarkdown)
        assert frozen.size.height == frozen.line_count > 0
        assert reply.markdown.size.height >= len(reply.markdown.children) > 0
    assert len(removed) >= 3 and sum(removed) > 20, removed  # several freezes, each removing blocks
    # Without the work in _drop_live_blocks nearly all of them survived; with it, the first
    # heading sometimes outlives the first freeze.
    assert sum(survivors) <= sum(removed) // 10, (survivors, removed)
    assert full_passes_while_streaming == []


async def test_old_collections_wait_for_the_end_of_the_reply(fake_gemini, monkeypatch):
    thresholds_while_streaming = []
    real_write = GeminiReply.write

    async def write(self, chunk):
        thresholds_while_streaming.append(gc.get_threshold())
        await real_write(self, chunk)

    monkeypatch.setattr(GeminiReply, "write", write)
    collected_after = []
    monkeypatch.setattr(gc_policy, "collect_while_quiet", lambda: collected_after.append(gc.get_threshold()))
    monkeypatch.setattr(gc_policy, "COLLECT_AFTER_REPLY", 0.05)
    before = gc.get_threshold()
    fake_gemini.enqueue(Reply(chunks=["Hello", ", world", "!"]))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        normal = gc.get_threshold()
        await send(pilot, "hi")
        await settle(pilot)
        await until(pilot, lambda: collected_after, "the collection after the reply")
        assert gc.get_threshold() == normal
    assert gc.get_threshold()[1:] == before[1:]
    assert thresholds_while_streaming, "no chunk was written"
    for young, middle, old in thresholds_while_streaming:
        assert young == normal[0] and middle > 10_000 and old > 10_000
    assert collected_after == [normal]  # once, after the reply, with the usual thresholds back


def test_streaming_nests_and_restores_the_thresholds():
    before = gc.get_threshold()
    with gc_policy.streaming():
        inner = gc.get_threshold()
        with gc_policy.streaming():
            assert gc.get_threshold() == inner
        assert gc.get_threshold() == inner  # the outer reply is still streaming
    assert gc.get_threshold() == before
    assert inner[0] == before[0] and inner[1] > before[1] and inner[2] > before[2]


async def test_a_state_change_restyles_the_reply_and_its_status_once(fake_gemini):
    async with _app_with_reply(fake_gemini) as (app, reply):
        restyled = []
        real_update = app.stylesheet.update_nodes
        app.stylesheet.update_nodes = lambda nodes, animate=False: real_update(restyled.append(list(nodes)) or restyled[-1], animate)
        status = reply.query_one(".reply-status")
        assert reply.has_class("-done") and not status.display
        def set_state(state: str) -> None:
            reply.entry.turn.state = state
            reply.sync_state()

        set_state("streaming")
        assert restyled == [[reply, status]] and reply.has_class("-streaming") and not reply.has_class("-done")
        assert status.display  # the -done rule no longer hides it
        set_state("streaming")
        assert len(restyled) == 1  # nothing changed: no restyle
        set_state("cancelled")
        assert len(restyled) == 2 and reply.classes >= {"-cancelled", "turn"} and not reply.has_class("-streaming")
        assert status.display


@asynccontextmanager
async def _app_with_reply(fake_gemini):
    fake_gemini.enqueue(Reply(chunks=["Hi"]))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
        yield app, app.screen.query_one(GeminiReply)


class _Growing(App):
    def compose(self) -> ComposeResult:
        yield Static("one line", id="text")


@pytest.fixture
def paints(monkeypatch) -> list[float]:
    """When each paint the compositor renders began, with the app's Textual patches applied."""
    from textual._compositor import Compositor

    rendered: list[float] = []
    real_render = Compositor.render_update
    monkeypatch.setattr(
        Compositor, "render_update",
        lambda self, *a, **k: (rendered.append(time.perf_counter()), real_render(self, *a, **k))[1],
    )
    return rendered


def _every_layout_slow(monkeypatch, paint_delay: float) -> None:
    """Every layout counts as slow: its paint waits ``paint_delay`` seconds."""
    monkeypatch.setattr(textual_fixes, "SLOW_LAYOUT", 0.0)
    monkeypatch.setattr(textual_fixes, "PAINT_DELAY", paint_delay)


async def test_a_slow_layout_is_painted_in_a_later_turn_of_the_loop(monkeypatch, paints):
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        text = app.query_one("#text", Static)

        monkeypatch.setattr(textual_fixes, "SLOW_LAYOUT", 3600.0)  # never slow: painted at once
        paints.clear()
        text.update("two\nlines")
        app.screen._refresh_layout()
        assert len(paints) == 1

        monkeypatch.setattr(textual_fixes, "SLOW_LAYOUT", 0.0)  # always slow: painted later
        paints.clear()
        text.update("three\nlines\nnow")
        app.screen._refresh_layout()
        assert paints == []
        await until(pilot, lambda: paints, "the put-off paint")
        assert "now" in app.export_screenshot()


async def test_a_paint_scheduled_during_a_batch_update_waits_for_its_end(paints):
    """Textual schedules it for later; run before the batch ended, its update was dropped unseen."""
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        text = app.query_one("#text", Static)
        paints.clear()
        with app.batch_update():
            text.update("changed\nbatched")
            app.screen._refresh_layout()  # what a layout forced during the batch does
            await pilot.pause(textual_fixes.PAINT_DELAY * 10)
            assert paints == []
        await until(pilot, lambda: paints, "the paint after the batch")
        assert "batched" in app.export_screenshot()


@pytest.mark.parametrize("pushed_back", [True, False])
async def test_another_slow_layout_pushes_a_waiting_paint_back(monkeypatch, paints, pushed_back):
    """A paint due in the same turn of the loop as a new slow layout ran right behind it: the
    new layout reschedules it (a fresh timer, the old one cancelled), unless it has waited
    longer than MAX_PAINT_WAIT already."""
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        _every_layout_slow(monkeypatch, 0.4)
        monkeypatch.setattr(textual_fixes, "MAX_PAINT_WAIT", 10.0 if pushed_back else -1.0)
        text = app.query_one("#text", Static)
        paints.clear()
        text.update("two\nlines")
        app.screen._refresh_layout()
        first = app.screen._g2d_paint_pending
        assert first is not None and paints == []
        text.update("three\nlines\nnow")
        app.screen._refresh_layout()  # in the same turn of the loop: the first paint is still waiting
        second = app.screen._g2d_paint_pending
        if pushed_back:
            assert first.handle.cancelled() and second.handle is not first.handle
            assert second.first_asked == first.first_asked  # the limit counts from the first request
            assert second.handle.when() >= first.handle.when()
        else:  # already waiting for longer than MAX_PAINT_WAIT: it keeps its time
            assert second is first and not first.handle.cancelled()
        await until(pilot, lambda: paints, "the put-off paint")
        assert "now" in app.export_screenshot()


async def test_what_runs_after_the_refresh_waits_for_a_put_off_paint(monkeypatch, paints):
    """``call_after_refresh`` work (e.g. the footer's rebuild, a batch update) ran between a
    slow layout and its paint, and held the paint back."""
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        _every_layout_slow(monkeypatch, 0.2)
        paints.clear()
        paints_seen_by_callback: list[int] = []
        app.query_one("#text", Static).update("two\nlines")
        app.screen.call_after_refresh(lambda: paints_seen_by_callback.append(len(paints)))
        await until(pilot, lambda: paints_seen_by_callback, "the work after the refresh")
        assert paints_seen_by_callback[0] >= 1


async def test_sliced_work_gives_a_put_off_paint_a_turn_of_its_own(monkeypatch, paints):
    """A fast reply's parsing and the frozen Markdown's rendering run in slices; between two,
    they wait for a paint that a slow layout put off, instead of sharing its turn of the loop."""
    from g2d_tui import hooks
    from g2d_tui.hooks import let_the_loop_run

    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        _every_layout_slow(monkeypatch, 0.2)
        paints.clear()
        app.query_one("#text", Static).update("two\nlines")
        app.screen._refresh_layout()
        assert paints == []
        await let_the_loop_run()
        assert len(paints) == 1 and "lines" in app.export_screenshot()
        monkeypatch.setattr(textual_fixes, "SLOW_LAYOUT", 3600.0)  # nothing put off any more
        assert app.screen._g2d_paint_pending is None
        assert hooks.slot("frame_to_wait_for")() is None  # no paint waiting: one turn of the loop
        await asyncio.wait_for(let_the_loop_run(), timeout=30)


async def test_frame_now_lays_out_and_paints_at_once(monkeypatch, paints):
    """A new picture is drawn right after it is mounted, not at the 60 Hz timer's next tick."""
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(textual_fixes, "SLOW_LAYOUT", 3600.0)  # painted with its layout
        text = app.query_one("#text", Static)
        text.update("two\nlines")
        text.refresh(layout=True)
        await pilot.pause(0)
        app.screen._layout_required = True  # as the screen's Layout message leaves it
        paints.clear()
        textual_fixes.frame_now(app.screen)
        assert len(paints) == 1 and "lines" in app.export_screenshot()
        with app.batch_update():  # never inside a batch: Textual would drop that frame
            paints.clear()
            app.screen._layout_required = True
            textual_fixes.frame_now(app.screen)
            assert paints == []
