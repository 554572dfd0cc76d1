"""The pytest fixture ``fake_gemini_image``: the fake Gemini image output, which lives in the package
(:mod:`g2d_tui.devtools.fakes.gemini_image_server`, runnable from an installed app). Tests import
its names from here as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from g2d_tui.devtools.fakes import gemini_image_server as _fake
from g2d_tui.devtools.fakes.gemini_image_server import *  # noqa: F403
from g2d_tui.devtools.fakes.gemini_image_server import FakeGeminiImage, main


def __getattr__(name: str):
    return getattr(_fake, name)  # its private helpers too (benchmarks subclass the handler)


@pytest.fixture
def fake_gemini_image() -> Iterator[FakeGeminiImage]:
    """A started :class:`FakeGeminiImage` on a free loopback port, stopped after the test."""
    with FakeGeminiImage() as fake:
        yield fake


if __name__ == "__main__":
    main()
