"""When the app is idle: nothing typed for a while and no running work. No Textual here.

Housekeeping that would be felt (the tuning's full garbage-collector pass) waits for the
``idle`` hook event, which the app announces when :meth:`IdleWatch.is_idle` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

QUIET_FOR = 2.0
"""Seconds without input before the app may be idle."""


class Work(Protocol):
    """What the watch reads of a worker."""

    @property
    def is_running(self) -> bool: ...


class IdleWatch:
    """Remembers the last input and the workers that only wait on the network.

    Args:
        quiet_for: seconds without input before the app may be idle.
        clock: monotonic seconds; tests pass a fake one and move it themselves.
    """

    def __init__(self, quiet_for: float = QUIET_FOR, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_for = quiet_for
        self.clock = clock
        self.check_every = quiet_for / 2
        """Seconds between two checks (the app's interval, set when it mounts)."""
        self.last_input = clock()
        self.only_waiting: set[Work] = set()
        """Running workers that are only waiting on the network: they do not hold idleness off."""

    def input_came(self) -> None:
        self.last_input = self.clock()

    def note_waiting(self, worker: Work, waiting: bool) -> None:
        """Whether ``worker`` now only waits on the network (or works again)."""
        if waiting:
            self.only_waiting.add(worker)
        else:
            self.only_waiting.discard(worker)

    def is_idle(self, workers: Iterable[Work]) -> bool:
        """Nothing typed for ``quiet_for`` seconds, and none of ``workers`` is running
        other than those only waiting on the network (a reply, a picture being decoded,
        a save... hold it off)."""
        if self.clock() - self.last_input < self.quiet_for:
            return False
        return not any(worker.is_running and worker not in self.only_waiting for worker in workers)
