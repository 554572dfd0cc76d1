"""Shared by the backend tests: saving a picture as the app does and reading its metadata."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from g2d_tui.services.image_store import save
from g2d_tui.services.images.base import GeneratedImage


def saved_texts(image: GeneratedImage, folder: Path) -> dict[str, str]:
    """Save ``image`` with ``image_store.save`` (as the app does) and read back its text chunks."""
    path = save(image, folder)
    assert path.parent == folder and path.suffix == ".png"
    with Image.open(path) as reread:
        reread.load()
        assert reread.size == (image.width, image.height)
        return dict(reread.text)


def params_line(texts: dict[str, str]) -> str:
    """The ``key: value, ...`` line of a ``parameters`` text."""
    return texts["parameters"].splitlines()[-1]


def closed_port() -> int:
    """A loopback port nobody listens on (bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until ``predicate()`` holds (checked every 10 ms), failing after a generous ceiling."""
    async with asyncio.timeout(seconds):
        while not predicate():
            await asyncio.sleep(0.01)
