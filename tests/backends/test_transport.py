"""The HTTP plumbing every HTTP backend shares: total deadlines, caps, redirects, stopping."""

from __future__ import annotations

import asyncio
import threading

import pytest

from g2d_tui.services.images.base import ImageError
from g2d_tui.services.images.transport import MAX_ERROR_BYTES, Deadline, Transport, error_message, stop_quietly
from tests.backends.helpers import until
from tests.fakes._http import FakeServer, JsonHandler, Recorded


class Echo(FakeServer):
    """Answers by path: /big (declared), /stream-big (undeclared), /error-big, /redirect, /slow, /ok."""

    name = "fake-echo"

    def __init__(self) -> None:
        super().__init__()
        self.stop_seen = threading.Event()

    def route(self, handler: JsonHandler, request: Recorded) -> None:
        if request.path == "/big":
            return handler.send_bytes(200, "image/png", b"x" * 2048)
        if request.path == "/stream-big":
            handler.send_response(200)
            handler.send_header("Content-Type", "image/png")
            handler.send_header("Connection", "close")
            handler.end_headers()
            for _ in range(8):
                handler.wfile.write(b"y" * 512)
            handler.close_connection = True
            return None
        if request.path == "/error-big":
            return handler.send_bytes(500, "text/plain", b"e" * (MAX_ERROR_BYTES * 2))
        if request.path == "/redirect":
            handler.send_response(302)
            handler.send_header("Location", f"{self.base_url}/ok")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if request.path == "/slow":
            self.stopping.wait(5)
            return handler.send_json(200, {})
        if request.path == "/stop":
            self.stop_seen.set()
        return handler.send_json(200, {"ok": True})


@pytest.fixture
async def echo():
    with Echo() as fake:
        yield fake


@pytest.fixture
async def transport():
    made = Transport(secrets=("hf_SecretValue1234",))
    yield made
    await made.aclose()


@pytest.mark.parametrize("path", ["/big", "/stream-big"])
async def test_bodies_over_the_cap_are_refused(echo, transport, path):
    with pytest.raises(ImageError) as caught:
        await transport.request("GET", f"{echo.base_url}{path}", timeout=5, limit=1024)
    assert caught.value.key == "images.too_large"


async def test_error_bodies_are_cut(echo, transport):
    answer = await transport.request("GET", f"{echo.base_url}/error-big", timeout=5)
    assert answer.status == 500 and len(answer.body) == MAX_ERROR_BYTES


async def test_redirects_are_followed_only_when_asked(echo, transport):
    answer = await transport.request("GET", f"{echo.base_url}/redirect", timeout=5)
    assert answer.status == 302
    followed = await transport.request("GET", f"{echo.base_url}/redirect", timeout=5, follow_redirects=True)
    assert followed.status == 200 and followed.json() == {"ok": True}


async def test_a_shared_deadline_bounds_each_call_and_names_its_own_length(echo, transport):
    deadline = Deadline(0.3)
    with pytest.raises(ImageError) as caught:
        await transport.request("GET", f"{echo.base_url}/slow", timeout=60, deadline=deadline)
    assert (caught.value.key, caught.value.params) == ("images.timeout", {"seconds": 0.3})
    with pytest.raises(ImageError):
        deadline.check()


async def test_the_stop_request_goes_out_while_the_caller_is_cancelled(echo, transport):
    async def job() -> None:
        try:
            await transport.request("GET", f"{echo.base_url}/slow", timeout=60)
        except asyncio.CancelledError:
            await stop_quietly(lambda: transport.request("POST", f"{echo.base_url}/stop", timeout=2))
            raise

    task = asyncio.create_task(job())
    await until(lambda: bool(echo.requests_to("GET", "/slow")))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert echo.stop_seen.is_set()


def test_error_messages_are_found_and_secrets_masked(transport):
    assert error_message(b'{"error": {"message": "bad thing"}}') == "bad thing"
    assert error_message(b'{"detail": [{"msg": "field required"}, {"msg": "too big"}]}') == "field required; too big"
    assert error_message(b"<html>oops</html>") == "<html>oops</html>"
    assert transport.redact("Bearer hf_SecretValue1234 refused") == "Bearer •••• refused"


def test_json_nested_too_deep_is_not_json():
    from g2d_tui.services.images.transport import parse_json

    assert parse_json(b"[" * 100_000 + b"]" * 100_000) is None
