"""The pytest fixture ``fake_gemini``: the fake Gemini API, which lives in the package
(:mod:`g2d_tui.devtools.fakes.gemini_server`, runnable from an installed app). Tests import
its names from here as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from g2d_tui.devtools.fakes import gemini_server as _fake
from g2d_tui.devtools.fakes.gemini_server import *  # noqa: F403
from g2d_tui.devtools.fakes.gemini_server import FakeGemini, main


def __getattr__(name: str):
    return getattr(_fake, name)  # its private helpers too (benchmarks subclass the handler)


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started FakeGemini on a free loopback port, stopped after the test.

    Hostile per test: ``fake_gemini.set_hostile("text", "models")`` (see :data:`HOSTILE_MODES`).
    """
    with FakeGemini() as fake:
        yield fake


if __name__ == "__main__":
    main()
