"""A history store for the conversations and gallery tests: fixed dates, real tiny PNG files.

The store is written through ``HistoryStore`` at the path the app opens (the conftest points
the data dir at the test's temp dir) and closed before the app starts.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from g2d_tui.conversation import Conversation, Picture, Turn
from g2d_tui.paths import history_path
from g2d_tui.services.history import HistoryStore
from tests.fakes.hf_server import png_bytes

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
COLOURS = [(200, 80, 40), (40, 120, 200), (60, 170, 90), (220, 190, 60), (150, 70, 180), (90, 90, 90)]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def utc(monkeypatch):
    """Stored times are shown in the local time zone: make it UTC, so dates are the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def open_store() -> HistoryStore:
    return HistoryStore.open(history_path())


def add_conversation(store: HistoryStore, turns: list[tuple[str, str]], start: float, title: str = "") -> Conversation:
    """A conversation of ``(role, text)`` turns, one minute apart from ``start`` minutes after T0."""
    conversation = store.create_conversation(title=title, model="gemini-2.5-flash", created=at(start))
    for offset, (role, text) in enumerate(turns):
        store.add_turn(conversation.id, Turn(role, text, model="gemini-2.5-flash" if role == "model" else "", created=at(start + offset)))
    return store.get_conversation(conversation.id)


def write_png(folder: Path, name: str, index: int = 0, size: tuple[int, int] = (32, 32)) -> tuple[Path, str, int]:
    """A small picture file; returns its path, SHA-256 and size."""
    folder.mkdir(parents=True, exist_ok=True)
    data = png_bytes(*size, color=COLOURS[index % len(COLOURS)], seed=index)
    path = folder / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest(), len(data)


PROMPTS = [
    ("a red fox in the snow", "photo of a red fox in deep snow, golden hour, detailed fur"),
    ("a lighthouse at dusk", "lighthouse on a cliff at dusk, dramatic clouds, oil painting"),
    ("a bowl of ramen", "steaming bowl of ramen, soft light, food photography"),
    ("a robot gardener", "friendly robot watering tomatoes, watercolor, pastel colours"),
    ("a night market", "busy night market, lanterns, rain reflections, cinematic"),
    ("a paper boat", "paper boat on a puddle, macro, shallow depth of field"),
]


def add_picture(store: HistoryStore, folder: Path, index: int, **fields) -> Picture:
    """Picture ``index`` of :data:`PROMPTS`, with a real file, made ``index`` minutes after T0."""
    request, prompt = PROMPTS[index % len(PROMPTS)]
    path, digest, size = write_png(folder, f"{index:02d}-{request.replace(' ', '-')}.png", index)
    values = dict(
        path=str(path), prompt=prompt, negative_prompt="blurry, lowres", seed=1000 + index, steps=30, guidance_scale=7.0,
        width=32, height=32, model="stabilityai/stable-diffusion-xl-base-1.0", backend="huggingface",
        provider="hf-inference", request=request, sha256=digest, file_size=size, created=at(index),
    )
    values.update(fields)
    picture = Picture(**values)
    store.add_picture(picture)
    return picture


SAMPLE_CONVERSATIONS = [
    ("Reversing a list in Python", [("user", "How do I reverse a list in Python?"), ("model", "Use slicing: items[::-1] returns a new list.")]),
    ("", [("user", "Tell me about lighthouses"), ("model", "Lighthouses guide ships with a beacon; the keeper trimmed the wicks.")]),
    ("Ramen at home", [("user", "How long do I boil ramen noodles?"), ("model", "About three minutes; rinse them if you serve them cold.")]),
]


def sample_store(folder: Path, pictures: int = 4) -> dict:
    """Three conversations and ``pictures`` pictures, the newest last made; returns their records."""
    store = open_store()
    try:
        conversations = [add_conversation(store, turns, start=index * 60, title=title) for index, (title, turns) in enumerate(SAMPLE_CONVERSATIONS)]
        made = [add_picture(store, folder, index) for index in range(pictures)]
    finally:
        store.close()
    return {"conversations": conversations, "pictures": made}


async def wait_for(pilot, condition, what: str, timeout: float = 15.0) -> None:
    """Pause until ``condition()`` holds, or fail after ``timeout`` seconds (a generous ceiling)."""
    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + timeout
    while not condition():
        if loop_time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def memory_app(save_dir: Path, gemini_url: str = "", hf_url: str = "", **images):
    """The app with fake keys, pictures in ``save_dir``, and no conversation brought back at start."""
    from tests.ui.helpers import keyed_settings, make_app

    settings = keyed_settings(gemini_url or "http://127.0.0.1:9", hf_url, save_dir)
    settings.ui.resume = False
    for name, value in images.items():
        setattr(settings.images, name, value)
    return make_app(settings)


async def open_screen(pilot, key: str, screen_class):
    """Press ``key`` once the store is open and wait for ``screen_class`` to show its first page."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.session.opened.is_set(), "the history to open")
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, screen_class) and app.screen.loaded, f"{screen_class.__name__} to load")
    await pilot.pause()
    return app.screen
