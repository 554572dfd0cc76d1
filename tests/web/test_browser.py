"""The whole app in a real browser: ``g2d-tui serve``, headless Chromium, the loopback fakes.

Chromium draws the terminal on a canvas, so the test reads the screen from the bytes the
app sends the page (its websocket frames, seen over the DevTools protocol) through
:class:`TerminalScreen`. It types a message, waits for Gemini's streamed reply, asks for
a picture, waits for the card, and keeps a screenshot (``tests/artifacts/`` for people).
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.ui.helpers import keyed_settings, write_settings
from tests.web.chromium import Chromium, DevToolsPage, find_chromium
from tests.web.serving import ROOT, free_port, start_serve, stop, wait_until_serving
from tests.web.terminal_screen import TerminalScreen

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("textual_serve") is None,
        reason="textual-serve is not installed (pip install -e '.[web]')",
    ),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)"),
]

ARTIFACTS = ROOT / "tests" / "artifacts"
CEILING = 90.0
"""Seconds any one step may take: the app starts in a child of a child on a busy machine."""


async def wait_for(condition, what: str, screen: TerminalScreen, timeout: float = CEILING) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{screen.text()}")
        await asyncio.sleep(0.05)


async def test_chat_and_imagine_in_a_browser(tmp_path: Path, fake_gemini, fake_hf):
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path / "pictures")
    settings.images.width = settings.images.height = 256
    config = tmp_path / "config.toml"
    write_settings(settings, config)
    port = free_port()
    server = start_serve("--port", str(port), "--config", str(config))
    browser = page = None
    try:
        await asyncio.to_thread(wait_until_serving, server, port)
        browser = Chromium(CHROMIUM, tmp_path / "profile")
        page = await DevToolsPage.connect(await asyncio.to_thread(browser.page_websocket))
        screen = TerminalScreen()

        def on_frame(params: dict) -> None:
            frame = params["response"]
            if frame["opcode"] == 2:  # the app's output; text frames are textual-serve's messages
                screen.feed(base64.b64decode(frame["payloadData"]))

        page.on("Network.webSocketFrameReceived", on_frame)
        await page.send("Network.enable")
        await page.send("Page.enable")
        await page.send("Page.navigate", url=f"http://127.0.0.1:{port}/")
        await wait_for(lambda: "Message Gemini" in screen.text(), "the chat screen", screen)

        await page.send("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
        await page.type_text("hello from the browser")
        await page.press_enter()
        await wait_for(lambda: "You said: hello from the browser" in screen.text(), "the streamed reply", screen)
        assert fake_gemini.requests_to("stream")[-1].turns[-1] == ("user", "hello from the browser")

        await page.type_text("/imagine a lighthouse at dusk")
        await page.press_enter()
        # The card's caption, and the picture drawn with half-cells as the served app is told to.
        await wait_for(lambda: "256×256 · seed" in screen.text() and "▀" in screen.text(), "the picture", screen)
        assert len(fake_hf.requests) == 1
        assert list((tmp_path / "pictures").glob("*.png"))  # saved where the settings say

        # Let the canvas catch up with the last frame before the picture is taken.
        await page.send(
            "Runtime.evaluate",
            expression="new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))",
            awaitPromise=True,
        )
        shot = await page.screenshot(tmp_path / "browser.png")
        assert shot.read_bytes().startswith(b"\x89PNG")
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS / "browser.png")
    finally:
        if page is not None:
            await page.close()
        if browser is not None:
            browser.close()
        await asyncio.to_thread(stop, server)
