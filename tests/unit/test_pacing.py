"""let_the_loop_run: one turn of the event loop, plus the frame the UI registered, if any."""

from __future__ import annotations

import asyncio

import pytest

from g2d_tui.services import pacing


@pytest.fixture
def no_frames():
    yield
    pacing.wait_for_frames(None)


async def test_it_waits_for_the_registered_frame(no_frames):
    loop = asyncio.get_running_loop()
    frame = loop.create_future()
    pacing.wait_for_frames(lambda: frame)
    loop.call_later(0.05, frame.set_result, None)
    started = loop.time()
    await pacing.let_the_loop_run()
    assert frame.done() and loop.time() - started >= 0.04


async def test_without_a_frame_it_lets_other_tasks_run_once(no_frames):
    pacing.wait_for_frames(lambda: None)
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "other")
    await pacing.let_the_loop_run()
    assert ran == ["other"]
