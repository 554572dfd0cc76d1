"""Gemini failures as catalogue keys: SDK and transport exceptions mapped, keys redacted."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from g2d_tui.services.errors import ServiceError, redact
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from g2d_tui.services.gemini.client import GeminiConfig

log = logging.getLogger("g2d_tui.services.gemini")

MESSAGE_LIMIT = 200
"""Characters of a server message shown to the user."""

BLOCKING_FINISH = frozenset({"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"})
FINISH_KEYS = {
    "MAX_TOKENS": "gemini.finish_max_tokens",
    "SAFETY": "gemini.finish_safety",
    "IMAGE_SAFETY": "gemini.finish_safety",
    "RECITATION": "gemini.finish_recitation",
    "BLOCKLIST": "gemini.finish_blocked",
    "PROHIBITED_CONTENT": "gemini.finish_blocked",
    "SPII": "gemini.finish_blocked",
}


class GeminiError(ServiceError):
    """A Gemini failure, as a ``gemini.*`` catalogue key and its parameters."""


def human_seconds(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    minutes, secs = divmod(whole, 60)
    if not minutes:
        return f"{secs} s"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def parse_duration(value: Any) -> float | None:
    """google.protobuf.Duration JSON ("19s", "0.5s") -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(value))
    return float(match[1]) if match else None


def host_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: no credentials, path or query."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return clean_line(f"{parts.scheme}://{host}" + (f":{port}" if port else ""), MESSAGE_LIMIT)


def log_failure(what: str, failure: BaseException, secret: str) -> None:
    """Log ``failure`` with its traceback at DEBUG, the API key masked: the SDK's exception
    text holds the server's whole error JSON, which may echo the key."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    import traceback

    text = "".join(traceback.format_exception(failure))
    log.debug("%s: %s", what, redact(text, secret, secret.strip()))


def _transport_error_classes() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(timeouts, connect failures, dropped streams) of the installed HTTP stacks."""
    timeouts: list[type] = [TimeoutError, asyncio.TimeoutError]
    connects: list[type] = [ConnectionRefusedError, ConnectionAbortedError]
    cuts: list[type] = [ConnectionResetError, BrokenPipeError]
    for name in ("httpx2", "httpx"):  # httpx: the transport the client gives; httpx2: the SDK's own
        module = sys.modules.get(name)
        if module is not None:
            timeouts.append(module.TimeoutException)
            cuts += [module.RemoteProtocolError, module.ReadError, module.WriteError]
            connects.append(module.TransportError)  # ConnectError, proxy, bad URL scheme...
    aiohttp = sys.modules.get("aiohttp")  # the SDK prefers it when installed
    if aiohttp is not None:
        connects.append(aiohttp.ClientConnectorError)
        cuts += [aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError]
    return tuple(timeouts), tuple(connects), tuple(cuts)


def map_error(exc: BaseException, config: GeminiConfig, *, mid_stream: bool = False) -> GeminiError:
    """Translate an SDK/transport exception into a :class:`GeminiError`: no secrets, no control
    characters, one line."""
    if isinstance(exc, GeminiError):
        return exc
    secret = config.api_key

    def clean(text: Any) -> str:
        return clean_line(redact(str(text or ""), secret, secret.strip()), MESSAGE_LIMIT)

    from google.genai import errors

    if isinstance(exc, errors.APIError):
        code = exc.code or 0
        details = exc.details if isinstance(exc.details, dict) else {}
        message = clean(exc.message or exc.status or code)
        dump = json.dumps(details)
        # An error event inside a 200 SSE stream (the SDK wraps it with the 200 response).
        if mid_stream or getattr(exc.response, "status_code", None) == 200:
            return GeminiError("gemini.stream_error", message=message, code=code)
        if code == 401 or (code == 400 and ("API_KEY_INVALID" in dump or "API key not valid" in message)):
            return GeminiError("gemini.invalid_key")
        if code == 403:
            return GeminiError("gemini.permission_denied", message=message)
        if code == 404:
            return GeminiError("gemini.model_not_found", model=clean_line(config.model, MESSAGE_LIMIT), message=message)
        if code == 429:
            return _rate_limited(details, message)
        if code == 400:
            return GeminiError("gemini.bad_request", message=message)
        if code == 503:
            return GeminiError("gemini.unavailable", code=code)
        if 500 <= code < 600:
            return GeminiError("gemini.server_error", code=code)
        return GeminiError("gemini.unknown", message=clean(f"{type(exc).__name__} {code}: {message}"))

    timeouts, connects, cuts = _transport_error_classes()
    if isinstance(exc, timeouts):
        return GeminiError("gemini.timeout", seconds=f"{config.timeout:g}")
    if isinstance(exc, cuts) or (mid_stream and isinstance(exc, (*connects, OSError))):
        return GeminiError("gemini.stream_cut")
    if isinstance(exc, (*connects, OSError)):
        return GeminiError("gemini.connection", url=host_of(config.effective_base_url))
    return GeminiError("gemini.unknown", message=clean(f"{type(exc).__name__}: {exc}"))


def _rate_limited(details: dict, message: str) -> GeminiError:
    error = details.get("error", details)
    items = error.get("details") if isinstance(error, dict) else None
    delays = [
        parse_duration(item.get("retryDelay"))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo")
    ]
    delay = next((value for value in delays if value is not None), None)
    if delay is None:
        return GeminiError("gemini.rate_limited_no_delay", message=message)
    return GeminiError("gemini.rate_limited", retry_after=delay, retry=human_seconds(delay), message=message)
