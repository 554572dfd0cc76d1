"""A loopback fake of the Gemini API, speaking real HTTP, for tests and manual runs.

Serves what the google-genai SDK calls (any API version):

* ``POST /{version}/models/{model}:streamGenerateContent?alt=sse`` (chunked SSE)
* ``POST /{version}/models/{model}:generateContent`` (one JSON)
* ``GET /{version}/models?pageSize=&pageToken=`` (paginated, ``page_size`` per page at most)

Every request is recorded in ``fake.requests``. Scripted behaviours are queued with
``fake.enqueue(...)`` and consumed in order by the next request they apply to; with an
empty queue the fake echoes the conversation as Markdown (streaming) or returns an
image-prompt JSON (generateContent). Standalone::

    python -m g2d_tui.devtools.fakes.gemini_server --port 8765 --chunk-delay 0.02
    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8765 GEMINI_API_KEY=anything g2d-tui

Hostile modes (:data:`HOSTILE_MODES`) make the fake a server that attacks the terminal
and the app: ``FakeGemini(hostile={"text", "models"})``, ``fake.set_hostile("errors")``,
or ``python -m g2d_tui.devtools.fakes.gemini_server --hostile text,prompt,finish,models``. Queued
behaviours still win over them. The hostile texts are in :mod:`g2d_tui.devtools.fakes.hostile`.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from g2d_tui.devtools.fakes._http import add_hostile_options, hostile_modes, hostile_note, until_ctrl_c
from g2d_tui.devtools.fakes import hostile as H
# The behaviours and wire shapes live in their own modules; tests and benchmarks import
# every name from here.
from g2d_tui.devtools.fakes.gemini_behaviours import (  # noqa: F401 - re-exported
    _ANY, _GENERATING, ERROR_STATUSES, GENERATE, HOSTILE_MODES, MANY_MODELS, MODELS, REAL_MAX_PAGE_SIZE, STREAM,
    Blocked, CutStream, Error, ErrorMidStream, Hang, JsonReply, Reply,
    hostile_error, hostile_models, hostile_prompt, hostile_reply, many_models,
)
from g2d_tui.devtools.fakes.gemini_wire import (  # noqa: F401 - re-exported
    DEFAULT_MODELS, RecordedRequest, chunk_json, default_image_prompt, echo_markdown, split_words, sse_event,
)


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
        if behaviour is None:
            behaviour = fake._hostile_behaviour(kind, request)
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
        self._write_body(data)

    def _error(self, error: Error) -> None:
        if isinstance(error.body, dict):
            return self._send_json(error.status, error.body)
        data = error.body.encode()
        self.send_response(error.status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._write_body(data)
        return None

    def _write_body(self, data: bytes) -> None:
        """The body at once, or a byte per ``trickle_interval`` in trickle mode."""
        fake = self.server.fake
        if not fake.trickling:
            self.wfile.write(data)
            return
        try:
            for i in range(len(data)):
                if not fake._sleep(fake.trickle_interval):
                    break
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write_chunk(self, data: bytes) -> None:
        fake = self.server.fake
        if not fake.trickling:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            return
        for i in range(len(data)):  # one HTTP chunk per byte
            if not fake._sleep(fake.trickle_interval):
                raise ConnectionResetError("fake stopping")
            self.wfile.write(b"1\r\n%s\r\n" % data[i : i + 1])
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
            hold = behaviour.hold if isinstance(behaviour, Reply) else None
            for i, event in enumerate(events):
                if i == 1 and hold is not None and not fake._wait_for(hold):
                    break
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
                 verbose: bool = False, hostile: set[str] | frozenset[str] = frozenset(),
                 trickle_interval: float = 1.0, error_status: int | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.models = list(DEFAULT_MODELS if models is None else models)
        self.page_size = page_size
        self.chunk_delay = chunk_delay
        self.api_keys = api_keys  # None: accept any key; else others get the invalid-key error
        self.verbose = verbose
        self.hostile: set[str] = set()
        self.trickle_interval = trickle_interval
        """Seconds between bytes in the ``trickle`` mode."""
        self.error_status = error_status
        """The status of the ``errors`` mode; None cycles through :data:`ERROR_STATUSES`."""
        self._errors_sent = 0
        self.lock = threading.Lock()
        self.set_hostile(*hostile)
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

    def set_hostile(self, *modes: str) -> FakeGemini:
        """Turn on hostile ``modes`` (keys of :data:`HOSTILE_MODES`) for every later request."""
        unknown = set(modes) - set(HOSTILE_MODES)
        if unknown:
            raise ValueError(f"unknown hostile modes {sorted(unknown)}; known: {sorted(HOSTILE_MODES)}")
        self.hostile |= set(modes)
        if "models" in modes:
            self.models = hostile_models()
        if "many-models" in modes:
            self.models = many_models()
            self.page_size = REAL_MAX_PAGE_SIZE
        return self

    @property
    def trickling(self) -> bool:
        return "trickle" in self.hostile

    def _hostile_behaviour(self, kind: str, request: RecordedRequest) -> Any:
        """What the hostile modes answer when nothing is queued (None: the ordinary default)."""
        if "errors" in self.hostile:
            with self.lock:
                status = self.error_status or ERROR_STATUSES[self._errors_sent % len(ERROR_STATUSES)]
                self._errors_sent += 1
            return hostile_error(status)
        finish = H.FINISH_REASON if "finish" in self.hostile else "STOP"
        if kind == GENERATE:
            config = (request.json or {}).get("generationConfig", {})
            if config.get("responseMimeType") == "application/json":
                if "prompt" in self.hostile:
                    return JsonReply(hostile_prompt())
                return None
            if "text" in self.hostile:
                return hostile_reply(finish_reason=finish)
        if kind == STREAM and "text" in self.hostile:
            return hostile_reply(finish_reason=finish, delay=self.chunk_delay)
        if kind in _GENERATING and "finish" in self.hostile:
            return Reply(["A reply that ends oddly."], finish_reason=finish)
        return None

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when the full time passed."""
        return not self._stop.wait(seconds)

    def _wait_for(self, event: threading.Event) -> bool:
        """Wait until ``event`` is set, unless the server stops first (then False)."""
        while not event.wait(0.05):
            if self._stop.is_set():
                return False
        return True

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Gemini API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between streamed chunks")
    parser.add_argument("--verbose", action="store_true", help="log each request")
    add_hostile_options(parser, HOSTILE_MODES)
    parser.add_argument("--error-status", type=int, default=None, help="status of --hostile errors (default: cycle)")
    args = parser.parse_args(argv)
    modes = hostile_modes(parser, args, HOSTILE_MODES)
    with FakeGemini(port=args.port, chunk_delay=args.chunk_delay, verbose=args.verbose, hostile=modes,
                    trickle_interval=args.trickle_interval, error_status=args.error_status) as fake:
        print(f"Fake Gemini listening on {fake.base_url}{hostile_note(modes)}", flush=True)
        print(f"  GOOGLE_GEMINI_BASE_URL={fake.base_url} GEMINI_API_KEY=fake-key g2d-tui", flush=True)
        until_ctrl_c()

if __name__ == "__main__":
    main()
