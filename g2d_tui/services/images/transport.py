"""HTTP plumbing shared by the HTTP image backends: one client, total deadlines, size caps.

Every call has a *total* deadline (``asyncio.timeout`` around the whole exchange, body
included), not only httpx's per-read timeout: a server that trickles a byte every few
seconds still ends in a clear ``images.timeout``. Bodies are capped, redirects are never
followed with credentials, and every transport failure becomes an :class:`ImageError`.

httpx is imported on first use: it costs ~0.1 s, and startup time is measured.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from g2d_tui.services.errors import redact
from g2d_tui.services.images.base import ImageError
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable, Callable

    import httpx

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Refuse bigger pictures: no text-to-image model sends that much for one image."""
MAX_JSON_BYTES = 96 * 1024 * 1024
"""JSON answers carrying a base64 picture (4/3 of :data:`MAX_IMAGE_BYTES`, plus room)."""
MAX_SMALL_JSON_BYTES = 4 * 1024 * 1024
"""Status, progress, model lists, job handles."""
MAX_ERROR_BYTES = 64 * 1024
MESSAGE_LIMIT = 200
"""Characters of a server's message shown to the user."""
STOP_TIMEOUT = 3.0
"""Seconds a "please stop" request may take while a cancelled task winds down."""


@dataclass(frozen=True)
class Answer:
    """One HTTP response, its body read (and capped)."""

    status: int
    headers: Any = field(repr=False)
    """``httpx.Headers`` (case-insensitive)."""
    body: bytes = field(repr=False)
    url: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def mime(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        return parse_json(self.body)


class Deadline:
    """A total time budget shared by several calls (a polling loop, a job)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = max(0.0, float(seconds))
        self._clock = clock
        self._end = clock() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def check(self) -> None:
        """Raise ``images.timeout`` once the budget is spent."""
        if self.remaining() <= 0:
            raise ImageError("images.timeout", seconds=number(self.seconds))


class Transport:
    """An httpx client built on first use, and the one way backends make HTTP calls.

    Args:
        connect_timeout: seconds to open a connection.
        secrets: values to mask in any text taken from an answer (tokens).
        unreachable: builds the error for "nothing listens there" (a local server that
            is not running deserves a different hint than a remote host).
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        secrets: tuple[str, ...] = (),
        unreachable: Callable[[str], ImageError] | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.secrets = tuple(secret for secret in secrets if secret)
        self._unreachable = unreachable or (lambda host: ImageError("images.connection", host=host))
        self._client: httpx.AsyncClient | None = None

    async def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            import httpx

            # Loading the CA bundle (~50 ms) in a thread: it froze the screen as the first image began.
            tls = await asyncio.to_thread(ssl_context)
            if self._client is None or self._client.is_closed:  # not built by another request meanwhile
                self._client = httpx.AsyncClient(
                    timeout=httpx.Timeout(None, connect=self.connect_timeout),
                    verify=tls,
                    # Never follow redirects: credentials must only reach the configured host.
                    follow_redirects=False,
                )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        limit: int = MAX_SMALL_JSON_BYTES,
        deadline: Deadline | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        follow_redirects: bool = False,
        on_response: Callable[[int], None] | None = None,
    ) -> Answer:
        """One exchange, body read within ``timeout`` seconds in total (and ``deadline``).

        A 2xx body over ``limit`` bytes raises ``images.too_large``; other bodies are cut
        at :data:`MAX_ERROR_BYTES`. ``follow_redirects`` is only for requests without
        credentials (result downloads from a provider's CDN).

        Raises:
            ImageError: ``images.timeout``, ``images.invalid_url``, ``images.connection``
                (or the ``unreachable`` error), ``images.connection_lost``, ``images.too_large``.
        """
        import httpx

        seconds = max(0.0, float(timeout))
        bound_by_deadline = deadline is not None and deadline.remaining() < seconds
        if deadline is not None:
            seconds = min(seconds, deadline.remaining())
        reported = number(deadline.seconds if bound_by_deadline and deadline is not None else timeout)
        if seconds <= 0:
            raise ImageError("images.timeout", seconds=reported)
        try:
            client = await self.client()
            async with asyncio.timeout(seconds):
                async with client.stream(
                    method, url, headers=headers, json=json_body, params=params, follow_redirects=follow_redirects
                ) as response:
                    ok = 200 <= response.status_code < 300
                    if on_response is not None:
                        on_response(response.status_code)
                    cap = limit if ok else MAX_ERROR_BYTES
                    declared = response.headers.get("content-length", "")
                    if ok and declared.isdigit() and int(declared) > cap:
                        raise ImageError("images.too_large")
                    body = bytearray()
                    async for part in response.aiter_bytes():
                        body += part
                        if len(body) > cap:
                            if ok:
                                raise ImageError("images.too_large")
                            del body[cap:]
                            break
                    return Answer(response.status_code, response.headers, bytes(body), str(response.url))
        except TimeoutError:
            raise ImageError("images.timeout", seconds=reported) from None
        except httpx.ConnectTimeout:
            raise ImageError("images.timeout", seconds=number(self.connect_timeout)) from None
        except httpx.TimeoutException:
            raise ImageError("images.timeout", seconds=reported) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise ImageError("images.invalid_url", url=self.redact(clean_line(url, MESSAGE_LIMIT))) from None
        except httpx.ConnectError:
            raise self._unreachable(host_of(url)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise ImageError("images.connection_lost", host=host_of(url)) from None
        except httpx.HTTPError:
            raise ImageError("images.connection", host=host_of(url)) from None

    def redact(self, text: str) -> str:
        return redact(text, *self.secrets)

    def message(self, answer: Answer) -> str:
        """The server's error message from ``answer``: one line, short, no secrets."""
        return clean_line(self.redact(error_message(answer.body)), MESSAGE_LIMIT)


async def stop_quietly(request: Callable[[], Awaitable[Any]], timeout: float = STOP_TIMEOUT) -> None:
    """Send a short "please stop" request while the calling task is being cancelled.

    The request runs in its own task behind :func:`asyncio.shield`, so the cancellation
    that is unwinding the caller does not cut it; it gets ``timeout`` seconds, and any
    failure is ignored (the server may be gone, which is fine).
    """

    async def attempt() -> None:
        try:
            async with asyncio.timeout(timeout):
                await request()
        except Exception:  # noqa: BLE001 - best effort: the user asked to stop, not to see errors
            pass

    try:
        await asyncio.shield(asyncio.ensure_future(attempt()))
    except asyncio.CancelledError:
        pass  # cancelled again meanwhile: the shielded request still finishes on its own


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~40 ms."""
    import httpx

    return httpx.create_ssl_context()


def parse_json(body: bytes) -> Any:
    """``body`` as JSON, or None when it is not JSON (or nested too deep to parse)."""
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None


def error_message(body: bytes) -> str:
    """The message in an error body: JSON ``error``/``message``/``detail`` fields, else the text."""
    payload = parse_json(body)
    if isinstance(payload, dict):
        error = next((payload[name] for name in ("error", "message", "detail", "errors") if payload.get(name)), None)
        if isinstance(error, dict):
            error = error.get("message", error.get("detail", error))
        if isinstance(error, list):
            return "; ".join(str(item.get("msg", item) if isinstance(item, dict) else item) for item in error)
        if error is not None:
            return str(error)
    if payload is not None and not isinstance(payload, dict):
        return str(payload)
    return body.decode("utf-8", errors="replace").strip()


def host_of(url: str) -> str:
    try:
        return clean_line(urlsplit(url).hostname or url, MESSAGE_LIMIT)
    except ValueError:
        return clean_line(url, MESSAGE_LIMIT)


def join(base_url: str, path: str) -> str:
    """``base_url`` (trailing slash or not) and ``path``."""
    return f"{base_url.strip().rstrip('/')}/{path.lstrip('/')}"


def number(value: float) -> int | float:
    """``180.0`` -> ``180`` so messages read naturally."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 1)


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    import email.utils
    import math
    from datetime import datetime, timezone

    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
