"""The pytest fixture ``fake_hf``: the fake Hugging Face router and Hub, which lives in the package
(:mod:`g2d_tui.devtools.fakes.hf_server`, runnable from an installed app). Tests import
its names from here as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from g2d_tui.devtools.fakes import hf_server as _fake
from g2d_tui.devtools.fakes.hf_server import *  # noqa: F403
from g2d_tui.devtools.fakes.hf_server import FakeHF, main


def __getattr__(name: str):
    return getattr(_fake, name)  # its private helpers too (benchmarks subclass the handler)


@pytest.fixture
def fake_hf() -> Iterator[FakeHF]:
    """A started :class:`FakeHF` on a free loopback port, stopped after the test.

    Hostile per test: ``fake_hf.set_hostile("errors")`` (see :data:`HOSTILE_MODES`).
    """
    with FakeHF() as fake:
        yield fake


if __name__ == "__main__":
    main()
