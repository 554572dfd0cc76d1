"""The pytest fixture ``fake_comfyui``: the fake ComfyUI server, which lives in the package
(:mod:`g2d_tui.devtools.fakes.comfyui_server`, runnable from an installed app). Tests import
its names from here as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from g2d_tui.devtools.fakes import comfyui_server as _fake
from g2d_tui.devtools.fakes.comfyui_server import *  # noqa: F403
from g2d_tui.devtools.fakes.comfyui_server import FakeComfyUI, main


def __getattr__(name: str):
    return getattr(_fake, name)  # its private helpers too (benchmarks subclass the handler)


@pytest.fixture
def fake_comfyui() -> Iterator[FakeComfyUI]:
    """A started :class:`FakeComfyUI` on a free loopback port, stopped after the test."""
    with FakeComfyUI() as fake:
        yield fake


if __name__ == "__main__":
    main()
