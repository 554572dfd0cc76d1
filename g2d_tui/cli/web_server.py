"""textual-serve's Server with the guards a browser-facing server needs.

textual-serve starts one app process per browser connection and has no access control.
:class:`GuardedServer` adds, in one aiohttp middleware:

* a token (when one is set): ``/?token=…`` once, then an HttpOnly, SameSite=Strict cookie,
  so the token leaves the address bar and every later request (the websocket, static
  files, downloads) carries it;
* without a token (loopback only), a ``Host`` check: a page whose name was made to resolve
  to 127.0.0.1 (DNS rebinding) is refused;
* an ``Origin`` check on the websocket: browsers let any page open a websocket to any
  server, and this one drives an app holding the user's API keys.

Pages are served with URLs of the host the browser asked for (textual-serve builds them
from the bind address, which is useless to a browser when that is 0.0.0.0).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

TOKEN_COOKIE = "g2d_tui_token"
TOKEN_PARAMETER = "token"
WEBSOCKET_PATH = "/ws"
SHUTDOWN_TIMEOUT = 5.0
"""Seconds a stop waits for open browser sessions: aiohttp would wait a minute for their websockets."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """True for ``localhost`` (and ``*.localhost``), 127.0.0.0/8 and ``::1``, bracketed or not."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _hostname(netloc: str) -> str:
    """``host`` of ``host:port`` / ``[v6]:port``."""
    try:
        return urlsplit(f"//{netloc}").hostname or ""
    except ValueError:
        return ""


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class GuardedServer(Server):
    """Serve ``command`` (one process per browser tab), guarded as the module says.

    Args:
        token: required from every client when not None.
        public_url: the address browsers use, when a proxy sits in front; else each page
            uses the address it was asked for.
    """

    def __init__(self, command: str, host: str, port: int, *, token: str | None, public_url: str | None = None, title: str = "g2d-tui") -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.token = token
        self.fixed_public_url = public_url.rstrip("/") if public_url else None
        self.trusted_hosts = {_hostname(urlsplit(public_url).netloc)} if public_url else set()

    # -- access control -------------------------------------------------------------

    def refusal(self, request: web.Request) -> web.Response | None:
        """The answer to a request that may not pass, or None when it may."""
        host = _hostname(request.host)
        if self.token is None and not (is_loopback(host) or host in self.trusted_hosts):
            return web.Response(status=403, text="403: this server answers only to localhost\n")
        origin = request.headers.get("Origin")
        if request.path == WEBSOCKET_PATH and origin is not None:
            allowed = {request.host.lower()} | ({urlsplit(self.fixed_public_url).netloc.lower()} if self.fixed_public_url else set())
            if urlsplit(origin).netloc.lower() not in allowed:
                return web.Response(status=403, text="403: cross-origin websocket refused\n")
        if self.token is not None and not (
            _same(request.query.get(TOKEN_PARAMETER), self.token) or _same(request.cookies.get(TOKEN_COOKIE), self.token)
        ):
            return web.Response(status=401, text="401: add ?token=… (printed by g2d-tui serve) to the address\n")
        return None

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = self.refusal(request)
        if refused is not None:
            return refused
        if self.token is not None and TOKEN_PARAMETER in request.query and request.path == "/":
            # Remember the token in a cookie and take it out of the address bar (and history).
            query = request.query.copy()
            del query[TOKEN_PARAMETER]
            response = web.Response(status=303, headers={"Location": str(request.rel_url.with_query(query))})
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict", path="/", secure=request.secure)
            return response
        return await handler(request)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    # -- pages ----------------------------------------------------------------------

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, its URLs on the address the browser used."""
        base = self.fixed_public_url or f"{request.scheme}://{request.host}"
        router = request.app.router
        websocket = ("wss:" if base.startswith("https") else "ws:") + base.split(":", 1)[1] + str(router["websocket"].url_for())
        static = base + str(router["static"].url_for(filename="/")).rstrip("/") + "/"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": websocket,
            "config": {"static": {"url": static}},
            "application": {"name": self.title},
        }

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: ``serve`` says where it listens once the port is bound."""

    # -- running --------------------------------------------------------------------

    def serve(self, debug: bool = False, announce: Callable[[], None] | None = None) -> None:  # type: ignore[override]
        """Serve until Ctrl+C or SIGTERM; ``announce`` runs once the port is listening.

        Raises:
            OSError: the address cannot be bound (port in use, no such interface…).
        """
        self.debug = debug
        self.initialize_logging()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.request_exit)
            except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
                pass
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            print=lambda *_: announce() if announce else None,
        )
