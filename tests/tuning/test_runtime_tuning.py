"""Textual patches and the quiet garbage collections."""

from __future__ import annotations

import gc
import sys

import pytest

from g2d_tui.tuning import gc_policy
from g2d_tui.tuning import textual_patches as textual_fixes


def test_strips_make_their_caches_only_when_used():
    from rich.segment import Segment
    from textual.strip import Strip

    textual_fixes.lazy_strip_caches()  # applied already (conftest): a second time is refused
    strip = Strip([Segment("hello "), Segment("world")])
    slot = type(Strip.__dict__["_crop_cache"]).__name__
    assert slot == "_LazyCache"
    member = Strip.__dict__["_crop_cache"].slot
    with pytest.raises(AttributeError):
        member.__get__(strip, Strip)  # no FIFOCache yet
    assert strip.crop(0, 5).text == "hello"
    assert strip.crop(0, 5) is strip.crop(0, 5)  # now cached
    assert [part.text for part in strip.divide([3, 8, 11])] == ["hel", "lo wo", "rld"]
    assert strip.cell_length == 11 and strip.text == "hello world"


def test_region_caches_are_bounded_small_and_still_answer_right():
    from textual.geometry import Region

    from g2d_tui.tuning import geometry_caches

    sizes = {name: method.cache_info().maxsize for name, method in vars(Region).items() if hasattr(method, "cache_info")}
    assert {"intersection", "union", "grow", "shrink"} <= set(sizes)
    assert set(sizes.values()) == {geometry_caches.CACHE_SIZE}  # applied (conftest), every one shrunk
    assert geometry_caches.install() is None  # nothing left above the size: a second time is refused
    base = Region(0, 0, 10, 10)
    for y in range(3 * geometry_caches.CACHE_SIZE):  # one-off offsets, as a scrolling log makes
        assert base.intersection(Region(5, y, 10, 10)).area == (5 * (10 - y) if y < 10 else 0)
    assert Region.intersection.cache_info().currsize <= geometry_caches.CACHE_SIZE


def _gen2_passes(action) -> int:
    passes = []

    def note(phase, info):
        if phase == "start" and info["generation"] == 2:
            passes.append(1)

    gc.callbacks.append(note)
    try:
        action()
    finally:
        gc.callbacks.remove(note)
    return len(passes)


def test_quiet_collection_runs_a_full_pass_only_when_the_heap_grew(monkeypatch):
    monkeypatch.setattr(gc_policy, "_refreeze_due", False)
    monkeypatch.setattr(gc_policy, "_blocks_at_freeze", 0)
    monkeypatch.setattr(gc_policy, "_blocks_after_full_pass", 0)
    assert _gen2_passes(gc_policy.collect_while_quiet) == 1  # from nothing: grown
    assert _gen2_passes(gc_policy.collect_while_quiet) == 0  # nothing new since
    kept = [[n] for n in range(sys.getallocatedblocks() // 2)]  # well over the growth bound
    assert _gen2_passes(gc_policy.collect_while_quiet) == 1
    assert _gen2_passes(gc_policy.collect_while_quiet) == 0
    del kept


def test_a_quiet_collection_can_leave_its_full_pass_for_later(monkeypatch):
    monkeypatch.setattr(gc_policy, "_refreeze_due", False)
    monkeypatch.setattr(gc_policy, "_blocks_at_freeze", 0)
    monkeypatch.setattr(gc_policy, "_blocks_after_full_pass", 0)
    scheduled: list = []
    assert _gen2_passes(lambda: gc_policy.collect_while_quiet(later=scheduled.append)) == 0
    assert len(scheduled) == 1  # grown: the full pass is handed over, not run
    assert _gen2_passes(scheduled.pop()) == 1
    assert _gen2_passes(lambda: gc_policy.collect_while_quiet(later=scheduled.append)) == 0
    assert scheduled == []  # nothing new since that pass


def test_big_buffers_go_back_to_the_system_on_glibc():
    import platform

    from g2d_tui.tuning.allocator import return_big_buffers

    tuned = return_big_buffers()
    assert tuned is (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc")
    assert return_big_buffers() is tuned  # once per process


async def test_collections_paused_for_startup_resume_once_the_app_is_mounted():
    from tests.ui.helpers import make_app, until

    gc_policy.pause_for_startup()
    try:
        assert not gc.isenabled()
        app = make_app()
        async with app.run_test() as pilot:
            await until(pilot, gc.isenabled, "collections back on after the app mounted")
    finally:
        gc.enable()


def test_a_later_freeze_is_undone_and_redone_when_idle_so_nothing_dead_stays_frozen(monkeypatch):
    import weakref

    class Node:
        pass

    def cycle() -> tuple[Node, weakref.ref]:
        node = Node()
        node.me = node  # only the cyclic collector can free it
        return node, weakref.ref(node)

    monkeypatch.setattr(gc_policy, "_blocks_at_freeze", 0)
    monkeypatch.setattr(gc_policy, "_blocks_after_full_pass", sys.getallocatedblocks())
    monkeypatch.setattr(gc_policy, "_refreeze_due", False)
    monkeypatch.setattr(gc_policy, "_frozen_after_startup", False)
    try:
        monkeypatch.setattr(gc_policy, "_modules_at_last_freeze", 0)  # the first, at start-up
        assert gc_policy.freeze_long_lived() and not gc_policy.refreeze_due()
        gc_policy.collect_while_quiet(full=True)
        gc_policy.widgets_removed()
        assert not gc_policy.refreeze_due()  # nothing of the conversation can be frozen yet

        monkeypatch.setattr(gc_policy, "_modules_at_last_freeze", 1)  # a later one (the SDK)
        garbage = cycle()[1]  # dead, not collected yet
        widget, widget_ref = cycle()  # alive now, removed later
        assert gc_policy.freeze_long_lived()  # at once...
        assert gc_policy.refreeze_due()  # ...with a refreeze to come
        gc.collect()
        assert garbage() is not None  # frozen with the rest
        assert gc_policy.refreeze_when_idle()
        assert garbage() is None and widget_ref() is not None and not gc_policy.refreeze_due()

        del widget  # frozen again by the refreeze: no pass frees it...
        gc.collect()
        assert widget_ref() is not None
        gc_policy.collect_while_quiet(full=True)  # ...so a full quiet pass asks for another refreeze
        assert gc_policy.refreeze_due() and gc_policy.refreeze_when_idle()
        assert widget_ref() is None
        gc_policy.widgets_removed()  # e.g. a new chat: the same
        assert gc_policy.refreeze_due()
    finally:
        gc.unfreeze()  # leave the collector as other tests expect it
