"""Quitting never waits for a reply or an image in flight."""

from __future__ import annotations

import asyncio

from tests.fakes.gemini_server import Hang
from tests.fakes.hf_server import Hang as HFHang
from tests.ui.helpers import keyed_settings, make_app, until
from tests.ui.test_chat_screen import send, settle


HANG = 120.0
"""Seconds the fakes hold the reply and the picture back: a quit that waited for them would
take this long, far past the ceiling below even on a busy machine."""


async def test_quit_during_stream_and_image_is_prompt(fake_gemini, fake_hf, tmp_path):
    fake_gemini.enqueue(Hang(HANG), on="stream")
    fake_hf.enqueue(HFHang(HANG))
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path))
    quitting = asyncio.Event()

    async def scenario() -> None:
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            await send(pilot, "this will hang")
            await send(pilot, "/imagine this will hang too")
            await until(pilot, lambda: fake_hf.requests, "the picture's request")
            assert app.screen.busy and app.screen.imagining == 1
            quitting.set()
            await pilot.press("ctrl+q")

    running = asyncio.ensure_future(scenario())
    waiter = asyncio.ensure_future(quitting.wait())
    await asyncio.wait([running, waiter], timeout=HANG / 2, return_when=asyncio.FIRST_COMPLETED)  # set-up, however slow
    waiter.cancel()
    await asyncio.wait_for(running, timeout=HANG / 2)  # the quit itself: never the hangs' length
    assert app.return_code == 0
