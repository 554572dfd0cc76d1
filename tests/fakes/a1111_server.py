"""The pytest fixture ``fake_a1111``: the fake AUTOMATIC1111 API, which lives in the package
(:mod:`g2d_tui.devtools.fakes.a1111_server`, runnable from an installed app). Tests import
its names from here as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from g2d_tui.devtools.fakes import a1111_server as _fake
from g2d_tui.devtools.fakes.a1111_server import *  # noqa: F403
from g2d_tui.devtools.fakes.a1111_server import FakeA1111, main


def __getattr__(name: str):
    return getattr(_fake, name)  # its private helpers too (benchmarks subclass the handler)


@pytest.fixture
def fake_a1111() -> Iterator[FakeA1111]:
    """A started :class:`FakeA1111` on a free loopback port, stopped after the test."""
    with FakeA1111() as fake:
        yield fake


if __name__ == "__main__":
    main()
