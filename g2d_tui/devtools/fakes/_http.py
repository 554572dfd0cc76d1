"""Plumbing shared by the loopback fakes of the image servers: a quiet threaded server,
recorded requests, JSON replies, and a ``main()`` for running one by hand."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Recorded:
    """One request a fake received."""

    method: str
    path: str
    """Without the query."""
    query: dict[str, str]
    headers: dict[str, str]
    """Lowercase header names."""
    json: Any
    body: bytes = field(default=b"", repr=False)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() never waits for a handler in the middle of a slow reply
    fake: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (cancel, timeout, closed pool) are normal here: stay quiet."""


class JsonHandler(BaseHTTPRequestHandler):
    """Reads and records the request, then calls ``self.server.fake.route(handler, recorded)``."""

    server: QuietServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        recorded = Recorded(
            self.command, url.path, dict(parse_qsl(url.query)), {k.lower(): v for k, v in self.headers.items()}, payload, raw,
        )
        self.server.fake.record(recorded)
        try:
            self.server.fake.route(self, recorded)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(status, "application/json", json.dumps(payload).encode())

    def send_bytes(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class FakeServer:
    """Base of the fakes: start/stop, a lock, the recorded requests."""

    name = "fake"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = QuietServer((host, port), self.handler_class())
        self._server.fake = self
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[JsonHandler]:
        return JsonHandler

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def record(self, request: Recorded) -> None:
        with self.lock:
            self.requests.append(request)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def route(self, handler: JsonHandler, request: Recorded) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self) -> FakeServer:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True, name=self.name)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def until_ctrl_c() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def serve_forever(fake: FakeServer, hint: str) -> None:
    """Run ``fake`` until ctrl+c, printing its address and how to point the app at it."""
    with fake:
        print(f"{fake.name} listening on {fake.base_url}", flush=True)
        print(f"  {hint.format(url=fake.base_url)}", flush=True)
        until_ctrl_c()


def add_hostile_options(parser: argparse.ArgumentParser, modes: dict[str, str]) -> None:
    """``--hostile MODES`` (``modes``: name -> what it does) and ``--trickle-interval``."""
    parser.add_argument("--hostile", default="", metavar="MODES",
                        help="comma-separated: " + "; ".join(f"{name}: {what}" for name, what in modes.items()))
    parser.add_argument("--trickle-interval", type=float, default=1.0, help="seconds between bytes with --hostile trickle")


def hostile_modes(parser: argparse.ArgumentParser, args: argparse.Namespace, modes: dict[str, str]) -> set[str]:
    """The ``--hostile`` modes asked for; an unknown one is a usage error."""
    chosen = {mode.strip() for mode in args.hostile.split(",") if mode.strip()}
    unknown = chosen - set(modes)
    if unknown:
        parser.error(f"unknown --hostile modes: {', '.join(sorted(unknown))} (known: {', '.join(modes)})")
    return chosen


def hostile_note(modes: set[str]) -> str:
    return f" (hostile: {', '.join(sorted(modes))})" if modes else ""


def run_by_hand(
    argv: list[str] | None,
    *,
    description: str,
    port: int,
    build: Callable[[argparse.Namespace], FakeServer],
    hint: str,
    step_delay: float | None = None,
) -> None:
    """The ``main()`` of a fake: ``--host`` and ``--port`` (and ``--step-delay`` when it
    draws in steps), then :func:`serve_forever` the fake ``build(args)`` makes.

    Args:
        port: the default port.
        hint: how to point the app at it, ``{url}`` standing for the fake's address.
        step_delay: the default seconds per sampling step; None for fakes without steps.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    if step_delay is not None:
        parser.add_argument("--step-delay", type=float, default=step_delay, help=f"seconds per sampling step (default {step_delay})")
    serve_forever(build(parser.parse_args(argv)), hint)
