"""Headless Chromium from the system packages, driven over the DevTools protocol.

No browser download and no driver package: the browser is Debian's ``chromium``, and the
protocol is JSON over a websocket (the ``websockets`` package google-genai already
brings). Only what the browser test needs: open a page, watch its websocket frames,
type, and take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    # Nothing leaves the machine: the served page asks for a web font, and Chromium
    # looks for updates and safe-browsing lists.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)


def find_chromium() -> str | None:
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class Chromium:
    """One headless Chromium process with its own profile in ``profile``."""

    def __init__(self, executable: str, profile: Path, *, size: tuple[int, int] = (1280, 860)) -> None:
        self.profile = profile
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes go with it at close()
        )

    def devtools_port(self, timeout: float = 60.0) -> int:
        """The port Chromium chose, from the file it writes into the profile."""
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
                return int(marker.read_text().split()[0])
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    def page_websocket(self, timeout: float = 60.0) -> str:
        """The DevTools websocket of the first page (about:blank)."""
        port = self.devtools_port(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                    pages = [target for target in json.load(answer) if target.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise TimeoutError("chromium shows no page")

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class DevToolsPage:
    """A DevTools session on one page: commands, and callbacks for events."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str) -> DevToolsPage:
        from websockets.asyncio.client import connect

        return cls(await connect(url, max_size=None, ping_interval=None))

    def on(self, event: str, callback: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.setdefault(event, []).append(callback)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        await self.connection.send(json.dumps({"id": number, "method": method, "params": params}))
        return await asyncio.wait_for(answer, timeout=60)

    async def _read(self) -> None:
        async for raw in self.connection:
            message = json.loads(raw)
            if "id" in message:
                answer = self._waiting.pop(message["id"], None)
                if answer is not None and not answer.done():
                    if "error" in message:
                        answer.set_exception(RuntimeError(f"DevTools: {message['error']}"))
                    else:
                        answer.set_result(message.get("result", {}))
            for callback in self._listeners.get(message.get("method", ""), []):
                callback(message.get("params", {}))

    # -- what the test does with a page ------------------------------------------------

    async def type_text(self, text: str) -> None:
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                windowsVirtualKeyCode=13, nativeVirtualKeyCode=13,
                **({"text": "\r", "unmodifiedText": "\r"} if kind == "keyDown" else {}),
            )

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        await self.connection.close()
