"""A loopback fake of the Hugging Face Inference text-to-image endpoint.

Real HTTP on 127.0.0.1 (``ThreadingHTTPServer`` in a daemon thread), so clients are
tested through their actual transport. Script the next answers with
``fake.enqueue(Png(...), Loading(...), Error(429), ...)``; with an empty queue every
request gets a pleasant gradient PNG of the requested size (capped at 1024).

    def test_something(fake_hf):
        fake_hf.enqueue(Loading(estimated_time=2.0), Png(width=64, height=64))
        backend = HuggingFaceBackend(HFConfig(api_key="hf_x", base_url=fake_hf.base_url))

Standalone, for manual runs of the app::

    python -m tests.fakes.hf_server --port 8766
    G2D_HF_BASE_URL=http://127.0.0.1:8766 g2d-tui
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import re
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

_MODEL_PATH = re.compile(r"^/models/([^/]+)/([^/?#]+)/?$")
MAX_DEFAULT_SIDE = 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    """Lowercase header names."""
    json: Any
    """The parsed JSON body, or None if it was not JSON."""
    body: bytes = b""
    received_at: float = field(default_factory=time.perf_counter)
    """When it had been read (``time.perf_counter``): benchmarks time clients by it."""

    @property
    def model(self) -> str | None:
        match = _MODEL_PATH.match(self.path)
        return f"{match.group(1)}/{match.group(2)}" if match else None

    @property
    def parameters(self) -> dict[str, Any]:
        if isinstance(self.json, dict) and isinstance(self.json.get("parameters"), dict):
            return self.json["parameters"]
        return {}


@dataclass(frozen=True)
class Reply:
    """What a behaviour sends back."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None
    """Announced length when it must differ from ``len(body)`` (cut connections)."""


# --- pictures ---------------------------------------------------------------


def gradient(width: int, height: int, color: tuple[int, int, int] = (200, 80, 40), seed: int = 0):
    """A soft two-axis gradient around ``color``: looks like a picture, compresses well."""
    from PIL import Image, ImageChops

    width, height = max(1, int(width)), max(1, int(height))
    horizontal = Image.linear_gradient("L").rotate(90 + (seed % 4) * 90).resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    channels = []
    for index, base in enumerate(color):
        layer = horizontal if index % 2 == 0 else ImageChops.invert(radial)
        channels.append(layer.point(lambda v, b=base: max(0, min(255, b // 2 + (v * (255 - b // 2)) // 320))))
    return Image.merge("RGB", channels)


def encode(image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 64, color: tuple[int, int, int] = (200, 80, 40), seed: int = 0) -> bytes:
    return encode(gradient(width, height, color, seed), "PNG", compress_level=1)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG of a few hundred bytes whose header declares ``width`` x ``height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * min(width, 64)) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


# --- behaviours -------------------------------------------------------------


class Behaviour:
    """One scripted answer. ``reply`` runs in the server thread."""

    def reply(self, request: RecordedRequest, fake: FakeHF) -> Reply | None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Png(Behaviour):
    """200 image/png: a gradient picture."""

    width: int = 64
    height: int = 64
    color: tuple[int, int, int] = (200, 80, 40)

    def reply(self, request, fake):
        return Reply(200, "image/png", png_bytes(self.width, self.height, self.color))


@dataclass(frozen=True)
class Jpeg(Behaviour):
    """200 image/jpeg: a gradient picture."""

    width: int = 64
    height: int = 64
    color: tuple[int, int, int] = (40, 120, 200)

    def reply(self, request, fake):
        return Reply(200, "image/jpeg", encode(gradient(self.width, self.height, self.color), "JPEG", quality=90))


@dataclass(frozen=True)
class Webp(Behaviour):
    """200 image/webp: a gradient picture."""

    width: int = 64
    height: int = 64
    color: tuple[int, int, int] = (90, 180, 90)

    def reply(self, request, fake):
        return Reply(200, "image/webp", encode(gradient(self.width, self.height, self.color), "WEBP", quality=90))


@dataclass(frozen=True)
class Black(Behaviour):
    """200 image/png, all black: what safety checkers send instead of an error."""

    width: int = 64
    height: int = 64

    def reply(self, request, fake):
        from PIL import Image

        return Reply(200, "image/png", encode(Image.new("RGB", (self.width, self.height)), "PNG"))


@dataclass(frozen=True)
class Loading(Behaviour):
    """503 cold start: ``{"error": "Model X is currently loading", "estimated_time": ...}``."""

    estimated_time: float | None = 2.0

    def reply(self, request, fake):
        payload: dict[str, Any] = {"error": f"Model {request.model or 'unknown'} is currently loading"}
        if self.estimated_time is not None:
            payload["estimated_time"] = self.estimated_time
        return Reply(503, "application/json", json.dumps(payload).encode())


_ERROR_BODIES: dict[int, Any] = {
    400: {"error": "Input validation error: `inputs` must be a non-empty string"},
    401: {"error": "Invalid credentials in Authorization header"},
    402: {
        "error": "You have exceeded your monthly included credits for Inference Providers. "
        "Subscribe to PRO to get 20x more monthly included credits."
    },
    403: {
        "error": "This authentication method does not have sufficient permissions to call "
        "Inference Providers on behalf of user someone"
    },
    404: {"error": "Model not found"},
    410: {"error": "The requested model is deprecated and no longer supported"},
    422: {"error": ["Error in `parameters.width`: ensure this value is a multiple of 8"]},
    429: {"error": "Rate limit reached. You reached free usage limit (reset hourly)."},
    500: {"error": "Internal Server Error"},
    502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    503: {"error": "Service Unavailable"},
    504: {"error": "Gateway Timeout: the model took too long to respond"},
}


@dataclass(frozen=True)
class Error(Behaviour):
    """An error status with a realistic body (JSON dict/list, or text/HTML str/bytes)."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None

    def reply(self, request, fake):
        body = self.body if self.body is not None else _ERROR_BODIES.get(self.status, {"error": HTTPStatus(self.status).phrase})
        headers = dict(self.headers) if self.headers is not None else ({"Retry-After": "7"} if self.status == 429 else {})
        if isinstance(body, (dict, list)):
            return Reply(self.status, "application/json", json.dumps(body).encode(), headers)
        data = body if isinstance(body, bytes) else str(body).encode()
        kind = "text/html; charset=utf-8" if data.lstrip().startswith(b"<") else "text/plain; charset=utf-8"
        return Reply(self.status, kind, data, headers)


@dataclass(frozen=True)
class Corrupt(Behaviour):
    """200 image/png whose bytes are a truncated PNG followed by garbage."""

    def reply(self, request, fake):
        data = png_bytes(32, 32)
        return Reply(200, "image/png", data[: len(data) // 2] + b"\x00garbage\xff" * 8)


@dataclass(frozen=True)
class Bomb(Behaviour):
    """200 image/png of a few hundred bytes declaring a huge size (decompression bomb)."""

    width: int = 30000
    height: int = 30000

    def reply(self, request, fake):
        return Reply(200, "image/png", bomb_png(self.width, self.height))


@dataclass(frozen=True)
class NotImage(Behaviour):
    """200 text/html: a captive portal or proxy page instead of an image."""

    def reply(self, request, fake):
        return Reply(200, "text/html; charset=utf-8", b"<!doctype html><html><body>Please log in</body></html>")


@dataclass(frozen=True)
class Hang(Behaviour):
    """Send nothing for ``seconds`` (ends early when the server stops), then a PNG."""

    seconds: float = 30.0

    def reply(self, request, fake):
        if fake._stopping.wait(self.seconds):
            return None
        return Png().reply(request, fake)


@dataclass(frozen=True)
class Drop(Behaviour):
    """200 image/png announcing more bytes than it sends, then closing the connection."""

    def reply(self, request, fake):
        data = png_bytes(32, 32)
        return Reply(200, "image/png", data[:40], content_length=len(data))


@dataclass(frozen=True)
class Redirect(Behaviour):
    """307 to another host: a client must not follow it with the token."""

    location: str = "http://127.0.0.1:9/elsewhere"

    def reply(self, request, fake):
        return Reply(307, "text/plain", b"", {"Location": self.location})


@dataclass(frozen=True)
class Default(Behaviour):
    """The answer when the queue is empty: a gradient of the requested size (capped)."""

    delay: float = 0.0

    def reply(self, request, fake):
        if self.delay and fake._stopping.wait(self.delay):
            return None
        params = request.parameters

        def side(name: str) -> int:
            try:
                return max(8, min(MAX_DEFAULT_SIDE, int(params.get(name, 512))))
            except (TypeError, ValueError):
                return 512

        seed = params.get("seed", 0)
        seed = seed if isinstance(seed, int) else 0
        palette = [(200, 80, 40), (40, 120, 200), (120, 60, 180), (30, 160, 120), (220, 170, 40)]
        color = palette[seed % len(palette)]
        return Reply(200, "image/png", png_bytes(side("width"), side("height"), color, seed))


# --- server -----------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeHF

    def handle_error(self, request, client_address):  # clients that hang up are not errors here
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "FakeHF/1.0"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_POST(self):
        self._serve("POST")

    def do_GET(self):
        self._serve("GET")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        request = RecordedRequest(
            method=method,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            json=payload,
            body=body,
        )
        fake._record(request)
        if method != "POST" or not _MODEL_PATH.match(self.path.split("?", 1)[0]):
            self._send(Reply(404, "application/json", b'{"error": "Not Found"}'))
            return
        if fake.require_auth and not request.headers.get("authorization", "").startswith("Bearer "):
            self._send(Error(401).reply(request, fake))
            return
        reply = fake._next().reply(request, fake)
        if reply is None:  # server stopping: just hang up
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(reply.content_length or len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.content_length is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class FakeHF:
    """The fake service. Use as a context manager or call :meth:`start`/:meth:`stop`.

    Args:
        port: 0 picks a free port.
        default: behaviour used while the queue is empty.
        require_auth: answer 401 when no ``Authorization: Bearer`` header is sent.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, default: Behaviour | None = None, require_auth: bool = True) -> None:
        self.host = host
        self.port = port
        self.default = default or Default()
        self.require_auth = require_auth
        self.requests: list[RecordedRequest] = []
        self._queue: collections.deque[Behaviour] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeHF is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url_for(self, model: str) -> str:
        return f"{self.base_url}/models/{model}"

    def enqueue(self, *behaviours: Behaviour) -> FakeHF:
        """Answer the next requests with ``behaviours``, in order."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> FakeHF:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeHF", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still hanging are released and their threads left to die."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> FakeHF:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


@pytest.fixture
def fake_hf():
    """A started :class:`FakeHF` on a free loopback port, stopped after the test."""
    with FakeHF() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Hugging Face text-to-image server for manual runs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--delay", type=float, default=1.5, help="seconds each image takes (default 1.5)")
    parser.add_argument("--cold-start", type=int, default=0, metavar="N", help="answer the first N requests with 'loading'")
    args = parser.parse_args(argv)
    fake = FakeHF(args.host, args.port, default=Default(delay=args.delay), require_auth=False)
    fake.enqueue(*(Loading(estimated_time=3.0) for _ in range(args.cold_start)))
    with fake:
        print(f"Fake Hugging Face server on {fake.base_url}", flush=True)
        print(f"  G2D_HF_BASE_URL={fake.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
