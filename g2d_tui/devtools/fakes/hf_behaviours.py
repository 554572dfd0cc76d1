"""What the fake Hugging Face router answers a generation request: the scripted
behaviours tests queue (``fake.enqueue(Png(...), Loading(...), Error(429))``) and the
hostile ones. Each answers as the raw hf-inference endpoint would; the server wraps an
image in the partner provider's shape (:mod:`.hf_partner_shapes`)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from g2d_tui.devtools.fakes import hostile as H
from g2d_tui.devtools.fakes.pictures import bomb_png, encode, gradient, png_bytes, png_with_text_chunk
from g2d_tui.devtools.fakes.hf_wire import MAX_DEFAULT_SIDE, RecordedRequest, Reply

if TYPE_CHECKING:
    from g2d_tui.devtools.fakes.hf_server import FakeHF


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


@dataclass(frozen=True)
class Held(Behaviour):
    """Send nothing until ``release`` is set (or the server stops), then ``inner``'s answer
    (by default the queue-empty one): the test decides when the picture comes, so what
    happens while a generation waits is tested without a race against a delay."""

    release: threading.Event = field(default_factory=threading.Event, compare=False)
    inner: Behaviour | None = None

    def reply(self, request, fake):
        while not self.release.wait(0.05):
            if fake._stopping.is_set():
                return None
        return (self.inner or Default()).reply(request, fake)
