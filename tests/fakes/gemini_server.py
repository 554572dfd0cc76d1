"""A loopback fake of the Gemini API, speaking real HTTP, for tests and manual runs.

Serves what the google-genai SDK calls (any API version):

* ``POST /{version}/models/{model}:streamGenerateContent?alt=sse`` (chunked SSE)
* ``POST /{version}/models/{model}:generateContent`` (one JSON)
* ``GET /{version}/models?pageSize=&pageToken=`` (paginated, ``page_size`` per page at most)

Every request is recorded in ``fake.requests``. Scripted behaviours are queued with
``fake.enqueue(...)`` and consumed in order by the next request they apply to; with an
empty queue the fake echoes the conversation as Markdown (streaming) or returns an
image-prompt JSON (generateContent). Standalone::

    python -m tests.fakes.gemini_server --port 8765 --chunk-delay 0.02
    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8765 GEMINI_API_KEY=anything g2d-tui
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

STREAM, GENERATE, MODELS = "stream", "generate", "models"
_GENERATING = frozenset({STREAM, GENERATE})
_ANY = frozenset({STREAM, GENERATE, MODELS})


# ---------------------------------------------------------------- behaviours


@dataclass
class Reply:
    """A normal answer: ``chunks`` streamed one event each, ``delay`` seconds apart.

    On generateContent the chunks are joined into one response.
    """

    chunks: list[str] = field(default_factory=lambda: ["Hello", ", world", "!"])
    finish_reason: str | None = "STOP"
    delay: float = 0.0
    applies_to = _GENERATING

    @classmethod
    def of(cls, text: str, words_per_chunk: int = 3, **kwargs: Any) -> Reply:
        """``text`` split into chunks of a few words, e.g. ``Reply.of(long_markdown, delay=0.05)``."""
        return cls(split_words(text, words_per_chunk), **kwargs)


@dataclass
class JsonReply:
    """generateContent answer whose text is ``value`` (JSON-encoded unless already a str)."""

    value: Any
    applies_to = _GENERATING

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else json.dumps(self.value)


@dataclass
class Error:
    """An HTTP error status with a Google-style JSON body (see the helper constructors).

    A str body is sent as text/html, like a proxy's error page.
    """

    status: int
    body: dict | str
    applies_to = _ANY

    @classmethod
    def make(cls, code: int, status: str, message: str, *details: dict) -> Error:
        error = {"code": code, "message": message, "status": status}
        if details:
            error["details"] = list(details)
        return cls(code, {"error": error})

    @classmethod
    def invalid_key(cls) -> Error:
        message = "API key not valid. Please pass a valid API key."
        return cls.make(
            400, "INVALID_ARGUMENT", message,
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
        )

    @classmethod
    def bad_request(cls, message: str = "Request contains an invalid argument.") -> Error:
        return cls.make(400, "INVALID_ARGUMENT", message)

    @classmethod
    def permission_denied(cls) -> Error:
        return cls.make(403, "PERMISSION_DENIED", "Permission denied: the API is not enabled for this key's project.")

    @classmethod
    def model_not_found(cls, model: str = "gemini-nope") -> Error:
        return cls.make(
            404, "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their supported methods.",
        )

    @classmethod
    def rate_limited(cls, retry_delay: str | None = "19s") -> Error:
        details = [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        ]
        if retry_delay is not None:
            details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay})
        return cls.make(
            429, "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.", *details,
        )

    @classmethod
    def internal(cls) -> Error:
        return cls.make(500, "INTERNAL", "An internal error has occurred. Please retry or report it.")

    @classmethod
    def overloaded(cls) -> Error:
        return cls.make(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


@dataclass
class Blocked:
    """The prompt is blocked before generation: 200, ``promptFeedback``, no candidates."""

    reason: str = "SAFETY"
    applies_to = _GENERATING


@dataclass
class ErrorMidStream:
    """Stream ``chunks``, then a ``data: {"error": ...}`` event (default: 500 INTERNAL)."""

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer"])
    error_body: dict = field(default_factory=lambda: Error.internal().body)
    applies_to = _GENERATING


@dataclass
class CutStream:
    """Stream ``chunks`` and then drop the connection in the middle of the chunked body."""

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer"])
    applies_to = _GENERATING


@dataclass
class Hang:
    """Send nothing for ``seconds`` (ends early when the server stops), then drop the connection."""

    seconds: float = 30.0
    applies_to = _ANY


# ---------------------------------------------------------------- wire helpers


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    received_at: float = field(default_factory=time.perf_counter)
    """When it had been read (``time.perf_counter``): benchmarks time clients by it."""

    @property
    def turns(self) -> list[tuple[str, str]]:
        """``(role, text)`` of each content sent, texts of all parts joined."""
        return [
            (c.get("role", ""), "".join(p.get("text", "") for p in c.get("parts", [])))
            for c in (self.json or {}).get("contents", [])
        ]


def chunk_json(text: str | None = None, finish_reason: str | None = None, model: str = "fake") -> dict:
    """One GenerateContentResponse as the API sends it."""
    candidate: dict[str, Any] = {"index": 0}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
        "modelVersion": model,
    }


def sse_event(obj: dict) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\r\n\r\n"


DEFAULT_MODELS: list[dict] = [
    {"name": f"models/{name}", "displayName": display, "inputTokenLimit": inp, "outputTokenLimit": out,
     "supportedGenerationMethods": methods}
    for name, display, inp, out, methods in [
        ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, 65536, ["generateContent", "countTokens"]),
        ("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 65536, ["generateContent", "countTokens"]),
        ("text-embedding-004", "Text Embedding 004", 2048, 1, ["embedContent"]),
        ("gemini-flash-latest", "Gemini Flash Latest", 1048576, 65536, ["generateContent", "countTokens"]),
        ("gemini-3-pro-preview", "Gemini 3 Pro Preview", 1048576, 65536, ["generateContent", "countTokens"]),
        ("imagen-4.0-generate-001", "Imagen 4", 480, 8192, ["predict"]),
        ("gemini-3-flash-preview", "Gemini 3 Flash Preview", 1048576, 65536,
         ["generateContent", "countTokens", "createCachedContent"]),
    ]
]


def echo_markdown(turns: list[tuple[str, str]], model: str) -> str:
    """The default reply: proves the fake received the history and renders Markdown."""
    users = [text for role, text in turns if role == "user"]
    last = users[-1] if users else ""
    earlier = ", ".join(f"“{u}”" for u in users[:-1]) or "nothing yet"
    return (
        f"## Echo (turn {len(users)})\n\n"
        f"You said: **{last}**\n\n"
        f"- User turns received: {len(users)}\n"
        f"- Earlier you said: {earlier}\n"
        f"- Model: `{model}`\n\n"
        f"```python\nprint({last!r})\n```\n"
    )


def split_words(text: str, size: int = 3) -> list[str]:
    """Split ``text`` into streaming chunks of ``size`` words, keeping all whitespace."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    return ["".join(pieces[i:i + size]) for i in range(0, len(pieces), size)] or [text]


def default_image_prompt(request: str) -> dict:
    subject = request.strip() or "a lighthouse on a cliff"
    return {
        "prompt": f"{subject}, highly detailed, digital painting, dramatic soft lighting, "
                  "rule of thirds composition, sharp focus, masterpiece, best quality",
        "negative_prompt": "blurry, low quality, deformed, extra limbs, watermark, text",
    }


# ---------------------------------------------------------------- server

_ROUTE = re.compile(r"^/(?P<version>v\w+)/models(?:/(?P<model>[^/:]+):(?P<action>\w+))?$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small SSE writes must not wait for delayed ACKs (~40 ms)
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # -- plumbing
    def _handle(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            self.command, url.path, dict(parse_qsl(url.query)),
            {k.lower(): v for k, v in self.headers.items()}, body,
        )
        with fake.lock:
            fake.requests.append(request)
        route = _ROUTE.match(url.path)
        kind = None
        if route and route["model"] is None and self.command == "GET":
            kind = MODELS
        elif route and route["action"] == "streamGenerateContent" and self.command == "POST":
            kind = STREAM
        elif route and route["action"] == "generateContent" and self.command == "POST":
            kind = GENERATE
        if kind is None:
            return self._error(Error.make(404, "NOT_FOUND", f"Unknown path {url.path}"))
        key = request.headers.get("x-goog-api-key", "")
        if fake.api_keys is not None and key not in fake.api_keys:
            return self._error(Error.invalid_key())
        behaviour = fake._next(kind)
        if isinstance(behaviour, Error):
            return self._error(behaviour)
        if isinstance(behaviour, Hang):
            fake._sleep(behaviour.seconds)
            self.close_connection = True
            return None
        if kind == MODELS:
            return self._models(request)
        model = route["model"]
        if kind == GENERATE:
            return self._generate(request, behaviour, model)
        return self._stream(request, behaviour, model)

    def _send_json(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: Error) -> None:
        if isinstance(error.body, dict):
            return self._send_json(error.status, error.body)
        data = error.body.encode()
        self.send_response(error.status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # -- endpoints
    def _models(self, request: RecordedRequest) -> None:
        fake = self.server.fake
        size = min(int(request.query.get("pageSize") or fake.page_size), fake.page_size)
        start = int(request.query.get("pageToken") or 0)
        page: dict[str, Any] = {"models": fake.models[start:start + size]}
        if start + size < len(fake.models):
            page["nextPageToken"] = str(start + size)
        self._send_json(200, page)

    def _generate(self, request: RecordedRequest, behaviour: Any, model: str) -> None:
        if isinstance(behaviour, Blocked):
            return self._send_json(200, {"promptFeedback": {"blockReason": behaviour.reason}})
        if isinstance(behaviour, (Reply, JsonReply)):
            text = behaviour.text if isinstance(behaviour, JsonReply) else "".join(behaviour.chunks)
            finish = getattr(behaviour, "finish_reason", "STOP")
        else:  # default, also for stream-only behaviours
            config = (request.json or {}).get("generationConfig", {})
            user = [t for r, t in request.turns if r == "user"]
            if config.get("responseMimeType") == "application/json":
                text = json.dumps(default_image_prompt(user[-1] if user else ""))
            else:
                text = echo_markdown(request.turns, model)
            finish = "STOP"
        self._send_json(200, chunk_json(text, finish, model))

    def _stream(self, request: RecordedRequest, behaviour: Any, model: str) -> None:
        fake = self.server.fake
        events: list[dict] = []
        delay = fake.chunk_delay
        if isinstance(behaviour, Blocked):
            events = [{"promptFeedback": {"blockReason": behaviour.reason}}]
        elif isinstance(behaviour, (Reply, ErrorMidStream, CutStream)):
            events = [chunk_json(c, None, model) for c in behaviour.chunks]
            if isinstance(behaviour, Reply):
                delay = behaviour.delay
                if behaviour.finish_reason:
                    if events:
                        events[-1]["candidates"][0]["finishReason"] = behaviour.finish_reason
                    else:
                        events = [chunk_json(None, behaviour.finish_reason, model)]
            elif isinstance(behaviour, ErrorMidStream):
                events.append(behaviour.error_body)
        elif isinstance(behaviour, JsonReply):
            events = [chunk_json(behaviour.text, "STOP", model)]
        else:
            chunks = split_words(echo_markdown(request.turns, model))
            events = [chunk_json(c, None, model) for c in chunks]
            events[-1]["candidates"][0]["finishReason"] = "STOP"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i, event in enumerate(events):
                if i and delay and not fake._sleep(delay):
                    break
                self._write_chunk(sse_event(event))
            if isinstance(behaviour, CutStream):
                self.wfile.write(b"400\r\npartial")  # declares 1 KiB, sends 7 bytes, hangs up
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client went away (cancel)
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() never waits for a handler in the middle of a slow reply
    fake: FakeGemini

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (cancel, timeout, closed pool) are normal here: stay quiet."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class FakeGemini:
    """The fake server; see the module docstring. Use as a context manager or start()/stop()."""

    def __init__(self, *, port: int = 0, chunk_delay: float = 0.0, page_size: int = 3,
                 models: list[dict] | None = None, api_keys: set[str] | None = None,
                 verbose: bool = False) -> None:
        self.requests: list[RecordedRequest] = []
        self.models = list(DEFAULT_MODELS if models is None else models)
        self.page_size = page_size
        self.chunk_delay = chunk_delay
        self.api_keys = api_keys  # None: accept any key; else others get the invalid-key error
        self.verbose = verbose
        self.lock = threading.Lock()
        self._queue: list[tuple[Any, frozenset[str]]] = []
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def enqueue(self, *behaviours: Any, on: str | None = None) -> None:
        """Queue behaviours for the next matching requests.

        ``on`` limits them to one endpoint (``"stream"``, ``"generate"`` or ``"models"``);
        by default each applies to the endpoints it makes sense for (errors and hangs: any).
        """
        with self.lock:
            for behaviour in behaviours:
                self._queue.append((behaviour, frozenset({on}) if on else behaviour.applies_to))

    def _next(self, kind: str) -> Any:
        with self.lock:
            for i, (behaviour, kinds) in enumerate(self._queue):
                if kind in kinds:
                    del self._queue[i]
                    return behaviour
        return None

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when the full time passed."""
        return not self._stop.wait(seconds)

    def requests_to(self, kind: str) -> list[RecordedRequest]:
        """Recorded requests of one endpoint kind: ``"stream"``, ``"generate"`` or ``"models"``."""
        marks = {STREAM: ":streamGenerateContent", GENERATE: ":generateContent"}
        if kind == MODELS:
            return [r for r in self.requests if r.method == "GET" and r.path.endswith("/models")]
        return [r for r in self.requests if r.path.endswith(marks[kind])]

    def start(self) -> FakeGemini:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True,
            name=f"fake-gemini-{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started FakeGemini on a free loopback port, stopped after the test."""
    with FakeGemini() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Gemini API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between streamed chunks")
    parser.add_argument("--verbose", action="store_true", help="log each request")
    args = parser.parse_args(argv)
    with FakeGemini(port=args.port, chunk_delay=args.chunk_delay, verbose=args.verbose) as fake:
        print(f"Fake Gemini listening on {fake.base_url}", flush=True)
        print(f"  GOOGLE_GEMINI_BASE_URL={fake.base_url} GEMINI_API_KEY=fake-key g2d-tui", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
