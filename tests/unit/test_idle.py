"""The idle watch on a fake clock: quiet time after input, running work, work that only waits."""

from __future__ import annotations

from dataclasses import dataclass

from g2d_tui.idle import IdleWatch
from tests.ui.helpers import FakeClock


@dataclass(eq=False)
class Worker:
    is_running: bool = True


def test_idle_needs_the_quiet_time_after_the_last_input():
    clock = FakeClock(100.0)
    watch = IdleWatch(quiet_for=2.0, clock=clock)
    assert not watch.is_idle([])
    clock.advance(1.9)
    assert not watch.is_idle([])
    clock.advance(0.1)
    assert watch.is_idle([])
    watch.input_came()
    assert not watch.is_idle([])
    clock.advance(2.0)
    assert watch.is_idle([]) and watch.check_every == 1.0


def test_running_work_holds_idleness_off_unless_it_only_waits():
    clock = FakeClock()
    watch = IdleWatch(quiet_for=1.0, clock=clock)
    clock.advance(5)
    reply, done = Worker(), Worker(is_running=False)
    assert watch.is_idle([done])
    assert not watch.is_idle([reply, done])
    watch.note_waiting(reply, True)
    assert watch.is_idle([reply, done])
    watch.note_waiting(reply, False)
    assert not watch.is_idle([reply]) and not watch.only_waiting
