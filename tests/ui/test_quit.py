"""Quitting never waits for a reply or an image in flight."""

from __future__ import annotations

import asyncio
import time

from tests.fakes.gemini_server import Hang
from tests.fakes.hf_server import Hang as HFHang
from tests.ui.helpers import keyed_settings, make_app
from tests.ui.test_chat_screen import send, settle


async def test_quit_during_stream_and_image_is_prompt(fake_gemini, fake_hf, tmp_path):
    fake_gemini.enqueue(Hang(30), on="stream")
    fake_hf.enqueue(HFHang(30))
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path))

    async def scenario() -> float:
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            await send(pilot, "this will hang")
            await send(pilot, "/imagine this will hang too")
            for _ in range(100):
                if fake_hf.requests:
                    break
                await pilot.pause(0.05)
            assert app.screen.busy and app.screen.imagining == 1
            started = time.monotonic()
            await pilot.press("ctrl+q")
        return time.monotonic() - started

    elapsed = await asyncio.wait_for(scenario(), timeout=10)
    assert elapsed < 2.0
    assert app.return_code == 0
