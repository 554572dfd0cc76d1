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
import collections
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The pictures, behaviours, wire shapes and partner-provider shapes live in their own
# modules; tests and benchmarks import every name from here.
from g2d_tui.devtools.fakes._http import add_hostile_options, hostile_modes, hostile_note, until_ctrl_c
from g2d_tui.devtools.fakes.hf_behaviours import (  # noqa: F401 - re-exported
    ERROR_STATUSES, HOSTILE_MODES, HUGE_DECODE,
    Behaviour, BigText, Black, Bomb, Corrupt, Default, Drop, Error, Failing, Hang, Held, HostileError, HostileLoading,
    Jpeg, Loading, NotImage, Png, Redirect, Trickle, Webp,
)
from g2d_tui.devtools.fakes.hf_partner_shapes import PartnerProviderShapes, _Job
from g2d_tui.devtools.fakes.pictures import bomb_png, encode, gradient, png_bytes, png_with_text_chunk  # noqa: F401 - re-exported
from g2d_tui.devtools.fakes.hf_wire import (  # noqa: F401 - re-exported
    _HUB_PATH, _MODEL_PATH, MAX_DEFAULT_SIDE, TEXT_TO_IMAGE_PROVIDERS, RecordedRequest, Reply, _json_reply,
)

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



class FakeHF(PartnerProviderShapes):
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
    add_hostile_options(parser, HOSTILE_MODES)
    args = parser.parse_args(argv)
    modes = hostile_modes(parser, args, HOSTILE_MODES)
    fake = FakeHF(args.host, args.port, default=Default(delay=args.delay), require_auth=False, hostile=modes,
                  trickle_interval=args.trickle_interval)
    fake.enqueue(*(Loading(estimated_time=3.0) for _ in range(args.cold_start)))
    with fake:
        print(f"Fake Hugging Face router and Hub on {fake.base_url}{hostile_note(modes)}", flush=True)
        print(f"  G2D_HF_BASE_URL={fake.base_url} G2D_HF_HUB_URL={fake.base_url}", flush=True)
        until_ctrl_c()

if __name__ == "__main__":
    main()
