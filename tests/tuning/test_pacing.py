"""let_the_loop_run: one turn of the event loop, plus the frame the UI registered, if any."""

from __future__ import annotations

import asyncio

import pytest

from g2d_tui import hooks as pacing


@pytest.fixture
def no_frames():
    """The slot as the tuning filled it (or empty) is put back afterwards."""
    before = pacing.slot("frame_to_wait_for")
    yield
    pacing.fill("frame_to_wait_for", before)


async def test_it_waits_for_the_registered_frame(no_frames):
    loop = asyncio.get_running_loop()
    frame = loop.create_future()
    pacing.fill("frame_to_wait_for", lambda: frame)
    waiting = asyncio.ensure_future(pacing.let_the_loop_run())
    for _ in range(10):  # many turns of the loop: still waiting, as long as the frame is
        await asyncio.sleep(0)
    assert not waiting.done()
    frame.set_result(None)
    await asyncio.wait_for(waiting, timeout=30)


async def test_without_a_frame_it_lets_other_tasks_run_once(no_frames):
    pacing.fill("frame_to_wait_for", lambda: None)
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "other")
    await pacing.let_the_loop_run()
    assert ran == ["other"]
