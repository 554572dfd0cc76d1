"""A loopback fake of the Hugging Face router (with its providers) and of the Hub's mapping.

Real HTTP on 127.0.0.1 (``ThreadingHTTPServer`` in a daemon thread), so clients are
tested through their actual transport. It serves, under one base URL:

* ``GET /api/models/{model}?expand[]=inferenceProviderMapping`` (the Hub): ``fake.mappings``;
* ``POST /hf-inference/models/{model}``: the raw image bytes;
* ``POST /together/v1/images/generations``, ``/nscale/v1/images/generations``: base64 JSON;
* ``POST /fal-ai/{id}``: ``images[0].url``, a result URL on this server (``/files/...``);
* ``POST /replicate/v1/models/{id}/predictions``: an output URL, or with ``fake.job_polls``
  a job to poll (``/replicate/v1/predictions/{id}``, ``.../cancel``);
* ``POST /wavespeed/api/v3/{id}`` and ``/zai-org/api/paas/v4/async/images/generations``:
  asynchronous jobs polled until done (after ``fake.job_polls`` pending answers).

Script the next generations with ``fake.enqueue(Png(...), Loading(...), Error(429), ...)``:
each behaviour answers one generation request, whatever the provider (an image behaviour
is wrapped in the provider's shape). With an empty queue every request gets a gradient PNG
of the requested size (capped at 1024).

    def test_something(fake_hf):
        fake_hf.enqueue(Loading(estimated_time=2.0), Png(width=64, height=64))
        backend = HuggingFaceBackend(HFConfig(api_key="hf_x", provider="hf-inference", base_url=fake_hf.base_url))

Standalone, for manual runs of the app::

    python -m g2d_tui.devtools.fakes.hf_server --port 8766
    G2D_HF_BASE_URL=http://127.0.0.1:8766 G2D_HF_HUB_URL=http://127.0.0.1:8766 g2d-tui

Hostile modes (:data:`HOSTILE_MODES`): ``FakeHF(hostile={"errors"})``,
``fake_hf.set_hostile("trickle")`` or ``--hostile bomb,trickle``; queued behaviours
still win over them.
"""

from __future__ import annotations

import argparse
import base64
import collections
import io
import itertools
import json
import re
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from g2d_tui.devtools.fakes import hostile as H

_MODEL_PATH = re.compile(r"^/hf-inference/models/([^/]+)/([^/?#]+)/?$")
_HUB_PATH = re.compile(r"^/api/models/([^/]+)/([^/?#]+)/?$")
MAX_DEFAULT_SIDE = 1024
TEXT_TO_IMAGE_PROVIDERS = ("hf-inference", "fal-ai", "nscale", "replicate", "together", "wavespeed", "zai-org")


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
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def model(self) -> str | None:
        match = _MODEL_PATH.match(self.route)
        return f"{match.group(1)}/{match.group(2)}" if match else None

    @property
    def provider(self) -> str:
        """The router path's first part: ``hf-inference``, ``fal-ai``... (``api`` for the Hub)."""
        return self.route.lstrip("/").split("/", 1)[0]

    @property
    def parameters(self) -> dict[str, Any]:
        """The generation parameters, wherever this provider's shape puts them."""
        if not isinstance(self.json, dict):
            return {}
        if isinstance(self.json.get("parameters"), dict):
            return self.json["parameters"]
        if isinstance(self.json.get("input"), dict):
            return self.json["input"]
        params = dict(self.json)
        if isinstance(params.get("image_size"), dict):
            params.update(params.pop("image_size"))
        if isinstance(params.get("size"), str) and "x" in params["size"]:
            width, _, height = params.pop("size").partition("x")
            params.update(width=int(width), height=int(height))
        return params


@dataclass(frozen=True)
class Reply:
    """What a behaviour sends back."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None
    """Announced length when it must differ from ``len(body)`` (cut connections)."""
    trickle: float = 0.0
    """Send the body one byte per ``trickle`` seconds."""
    failing: str | None = None
    """For job providers: accept, then fail the job with this message."""


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


def png_with_text_chunk(text_bytes: int = 10 * 1024 * 1024, width: int = 64, height: int = 64) -> bytes:
    """A small valid PNG carrying a ``tEXt`` chunk of ``text_bytes`` bytes before its pixels."""
    data = png_bytes(width, height)
    split = data.index(b"IDAT") - 4
    text = _png_chunk(b"tEXt", b"Comment\0" + b"A" * max(0, text_bytes - 8))
    return data[:split] + text + data[split:]


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


HUGE_DECODE = (9400, 9400)
"""A few hundred bytes of PNG that decode to 88 Mpx (2.1 GB and 22 s before the header check)."""
ERROR_STATUSES = (400, 401, 402, 403, 404, 410, 413, 422, 429, 500, 502, 503, 504)
HOSTILE_MODES = {
    "errors": "every request fails; status cycles through ERROR_STATUSES, bodies hold controls and markup",
    "trickle": "images (and every other body) come one byte at a time, trickle_interval seconds apart",
    "bomb": "a PNG of a few hundred bytes that decodes to 9400x9400",
    "big-text": "a small PNG carrying a 10 MB text chunk",
    "loading": "cold-start answers whose model name holds controls and markup, forever",
}
"""Modes for :meth:`FakeHF.set_hostile` and ``--hostile``."""


@dataclass(frozen=True)
class HostileError(Behaviour):
    """``status`` with a body full of control sequences and markup (JSON, or HTML for 502)."""

    status: int

    def reply(self, request, fake):
        if self.status == 502:
            return Error(502, "<html><body>Bad gateway " + H.LINE + "</body></html>").reply(request, fake)
        body: Any = {"error": "Failure " + H.LINE}
        if self.status == 422:
            body = {"error": ["Error in `parameters.width`: " + H.LINE, H.OSC52 + "[/x]"]}
        return Error(self.status, body, {"Retry-After": "7" + H.OSC52} if self.status == 429 else {}).reply(request, fake)


@dataclass(frozen=True)
class HostileLoading(Behaviour):
    """503 cold start whose message holds controls and markup."""

    estimated_time: float = 0.01

    def reply(self, request, fake):
        payload = {"error": f"Model {H.OSC52}[/x]{H.C1_CSI} is currently loading", "estimated_time": self.estimated_time}
        return Reply(503, "application/json", json.dumps(payload).encode())


@dataclass(frozen=True)
class BigText(Behaviour):
    """200 image/png: a small picture with a ``tEXt`` chunk of ``text_bytes`` bytes."""

    text_bytes: int = 10 * 1024 * 1024

    def reply(self, request, fake):
        return Reply(200, "image/png", png_with_text_chunk(self.text_bytes))


@dataclass(frozen=True)
class Trickle(Behaviour):
    """``inner``'s answer sent one byte every ``interval`` seconds (a server that stalls
    without ever going quiet long enough for a read timeout)."""

    inner: Behaviour | None = None
    interval: float = 1.0

    def reply(self, request, fake):
        reply = (self.inner or Png()).reply(request, fake)
        return None if reply is None else replace(reply, trickle=self.interval)


@dataclass(frozen=True)
class Failing(Behaviour):
    """A job that the provider accepts and then reports as failed (sync providers: a 500)."""

    message: str = "NSFW content detected"

    def reply(self, request, fake):
        return Reply(500, "application/json", json.dumps({"error": self.message}).encode(), failing=self.message)


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
        route = request.route
        if method == "GET" and route.startswith("/files/"):
            return self._send(fake._file(route))
        if fake.require_auth and not request.headers.get("authorization", "").startswith("Bearer "):
            return self._send(Error(401).reply(request, fake))
        if method == "GET" and _HUB_PATH.match(route):
            return self._send(fake._mapping(request))
        if method == "GET" or route.endswith("/cancel"):
            return self._send(fake._job(request))
        provider = request.provider
        if method != "POST" or provider not in TEXT_TO_IMAGE_PROVIDERS or (provider == "hf-inference" and not _MODEL_PATH.match(route)):
            return self._send(Reply(404, "application/json", b'{"error": "Not Found"}'))
        reply = fake._next().reply(request, fake)
        if reply is None:  # server stopping: just hang up
            self.close_connection = True
            return None
        self._send(fake._shaped(request, reply))
        return None

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(reply.content_length or len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.content_length is not None or reply.trickle:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if reply.trickle:
                for index in range(len(reply.body)):
                    self.wfile.write(reply.body[index : index + 1])
                    self.wfile.flush()
                    if self.server.fake._stopping.wait(reply.trickle):
                        return
            else:
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, "application/json", json.dumps(payload).encode())


@dataclass
class _Job:
    provider: str
    image: bytes
    failing: str | None
    polls_left: int
    cancelled: bool = False


class FakeHF:
    """The fake service. Use as a context manager or call :meth:`start`/:meth:`stop`.

    Args:
        port: 0 picks a free port.
        default: behaviour used while the queue is empty.
        require_auth: answer 401 when no ``Authorization: Bearer`` header is sent.

    Attributes:
        mappings: model -> the ``inferenceProviderMapping`` the Hub answers (a dict by
            provider, as the Hub sends it); a model not listed gets hf-inference only.
        unknown_models: models the Hub answers 404 for.
        job_polls: pending answers an asynchronous job gives before it is done.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, default: Behaviour | None = None, require_auth: bool = True,
                 hostile: set[str] | frozenset[str] = frozenset(), trickle_interval: float = 1.0) -> None:
        self.host = host
        self.port = port
        self.default = default or Default()
        self.require_auth = require_auth
        self.hostile: set[str] = set()
        self.trickle_interval = trickle_interval
        """Seconds between bytes in the ``trickle`` mode."""
        self._errors_sent = 0
        self.set_hostile(*hostile)
        self.requests: list[RecordedRequest] = []
        self.mappings: dict[str, dict[str, dict[str, Any]]] = {}
        self.unknown_models: set[str] = set()
        self.job_polls = 1
        self._queue: collections.deque[Behaviour] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._files: dict[str, bytes] = {}
        self._jobs: dict[str, _Job] = {}
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeHF is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url_for(self, model: str) -> str:
        return f"{self.base_url}/hf-inference/models/{model}"

    def enqueue(self, *behaviours: Behaviour) -> FakeHF:
        """Answer the next generation requests with ``behaviours``, in order."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def set_hostile(self, *modes: str) -> FakeHF:
        """Turn on hostile ``modes`` (keys of :data:`HOSTILE_MODES`) for every later request."""
        unknown = set(modes) - set(HOSTILE_MODES)
        if unknown:
            raise ValueError(f"unknown hostile modes {sorted(unknown)}; known: {sorted(HOSTILE_MODES)}")
        self.hostile |= set(modes)
        return self

    @property
    def generations(self) -> list[RecordedRequest]:
        """The generation requests (POSTs to a provider), without lookups, polls and downloads."""
        return [r for r in self.requests if r.method == "POST" and r.provider in TEXT_TO_IMAGE_PROVIDERS and not r.route.endswith("/cancel")]

    def requests_to(self, prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route.startswith(prefix)]

    def _next(self) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            behaviour = self.default
            if "errors" in self.hostile:
                behaviour = HostileError(ERROR_STATUSES[self._errors_sent % len(ERROR_STATUSES)])
                self._errors_sent += 1
            elif "loading" in self.hostile:
                behaviour = HostileLoading()
            elif "bomb" in self.hostile:
                behaviour = Bomb(*HUGE_DECODE)
            elif "big-text" in self.hostile:
                behaviour = BigText()
        if "trickle" in self.hostile:
            return Trickle(behaviour, self.trickle_interval)
        return behaviour

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    # -- the Hub --------------------------------------------------------------------

    def _mapping(self, request: RecordedRequest) -> Reply:
        match = _HUB_PATH.match(request.route)
        model = f"{match.group(1)}/{match.group(2)}"
        if model in self.unknown_models:
            return _json_reply({"error": "Repository not found"}, 404)
        mapping = self.mappings.get(model, {"hf-inference": {"status": "live", "providerId": model, "task": "text-to-image"}})
        return _json_reply({"_id": "0" * 24, "id": model, "inferenceProviderMapping": mapping})

    # -- provider shapes ------------------------------------------------------------

    def _store_file(self, data: bytes) -> str:
        name = f"{next(self._ids)}.png"
        with self._lock:
            self._files[name] = data
        return f"{self.base_url}/files/{name}"

    def _file(self, route: str) -> Reply:
        with self._lock:
            data = self._files.get(route.removeprefix("/files/"))
        return Reply(200, "image/png", data) if data is not None else Reply(404, "text/plain", b"gone")

    def _shaped(self, request: RecordedRequest, reply: Reply) -> Reply:
        """``reply`` (written for the raw hf-inference endpoint) in ``request``'s provider shape."""
        provider = request.provider
        failing = reply.failing is not None and provider in ("replicate", "wavespeed", "zai-org")
        if provider == "hf-inference" or not (reply.status == 200 and reply.content_type.startswith("image/") or failing):
            return reply
        if reply.trickle or reply.content_length is not None:
            return reply
        if provider in ("together", "nscale"):
            return _json_reply({"created": 0, "data": [{"b64_json": base64.b64encode(reply.body).decode()}]})
        if provider == "fal-ai":
            return _json_reply({"images": [{"url": self._store_file(reply.body), "content_type": "image/png"}], "seed": 1})
        job_id = f"job{next(self._ids)}"
        with self._lock:
            self._jobs[job_id] = _Job(provider, reply.body, reply.failing, self.job_polls)
        if provider == "replicate":
            if not self.job_polls and not failing:
                return _json_reply({"id": job_id, "status": "succeeded", "output": [self._store_file(reply.body)]}, 201)
            return _json_reply({"id": job_id, "status": "starting", "output": None, "urls": {
                "get": f"https://api.replicate.com/v1/predictions/{job_id}",
                "cancel": f"https://api.replicate.com/v1/predictions/{job_id}/cancel"}}, 201)
        if provider == "wavespeed":
            return _json_reply({"code": 200, "data": {"id": job_id, "status": "created", "urls": {
                "get": f"https://api.wavespeed.ai/api/v3/predictions/{job_id}/result"}}})
        return _json_reply({"id": job_id, "task_status": "PROCESSING", "model": "fake"})  # zai-org

    def _job(self, request: RecordedRequest) -> Reply:
        """A poll (or a cancel) of an asynchronous job."""
        job_id = next((part for part in request.route.split("/") if part.startswith("job")), "")
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _json_reply({"error": "no such job"}, 404)
            if request.route.endswith("/cancel"):
                job.cancelled = True
                return _json_reply({"id": job_id, "status": "canceled"})
            pending = job.polls_left > 0
            job.polls_left -= 1
        if job.provider == "replicate":
            if pending:
                return _json_reply({"id": job_id, "status": "processing", "output": None, "urls": {
                    "get": f"https://api.replicate.com/v1/predictions/{job_id}"}})
            if job.failing:
                return _json_reply({"id": job_id, "status": "failed", "error": job.failing, "output": None})
            return _json_reply({"id": job_id, "status": "succeeded", "output": [self._store_file(job.image)]})
        if job.provider == "wavespeed":
            if pending:
                return _json_reply({"code": 200, "data": {"id": job_id, "status": "processing"}})
            if job.failing:
                return _json_reply({"code": 200, "data": {"id": job_id, "status": "failed", "error": job.failing}})
            return _json_reply({"code": 200, "data": {"id": job_id, "status": "completed", "outputs": [self._store_file(job.image)]}})
        if pending:
            return _json_reply({"id": job_id, "task_status": "PROCESSING"})
        if job.failing:
            return _json_reply({"id": job_id, "task_status": "FAIL"})
        return _json_reply({"id": job_id, "task_status": "SUCCESS", "image_result": [{"url": self._store_file(job.image)}]})

    def cancelled_jobs(self) -> list[str]:
        with self._lock:
            return [job_id for job_id, job in self._jobs.items() if job.cancelled]

    # -- lifecycle --------------------------------------------------------------------

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Hugging Face text-to-image server for manual runs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--delay", type=float, default=1.5, help="seconds each image takes (default 1.5)")
    parser.add_argument("--cold-start", type=int, default=0, metavar="N", help="answer the first N requests with 'loading'")
    parser.add_argument("--hostile", default="", metavar="MODES",
                        help="comma-separated: " + "; ".join(f"{name}: {what}" for name, what in HOSTILE_MODES.items()))
    parser.add_argument("--trickle-interval", type=float, default=1.0, help="seconds between bytes with --hostile trickle")
    args = parser.parse_args(argv)
    modes = {mode.strip() for mode in args.hostile.split(",") if mode.strip()}
    unknown = modes - set(HOSTILE_MODES)
    if unknown:
        parser.error(f"unknown --hostile modes: {', '.join(sorted(unknown))} (known: {', '.join(HOSTILE_MODES)})")
    fake = FakeHF(args.host, args.port, default=Default(delay=args.delay), require_auth=False, hostile=modes,
                  trickle_interval=args.trickle_interval)
    fake.enqueue(*(Loading(estimated_time=3.0) for _ in range(args.cold_start)))
    with fake:
        print(f"Fake Hugging Face router and Hub on {fake.base_url}" + (f" (hostile: {', '.join(sorted(modes))})" if modes else ""), flush=True)
        print(f"  G2D_HF_BASE_URL={fake.base_url} G2D_HF_HUB_URL={fake.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
