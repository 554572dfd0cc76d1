"""Chat with Gemini through the google-genai SDK, keeping the history ourselves.

``google.genai`` is imported lazily inside the methods: importing it costs about a
second, which the app must not pay at startup. Every failure reaches the caller as a
:class:`GeminiError` carrying a catalogue key (``gemini.*``) and safe parameters.

Consumers should close the stream generator when they stop early, e.g.
``async with contextlib.aclosing(chat.stream(text)) as fragments: ...``; cancelling the
task that iterates it works too.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from g2d_tui.services.errors import ServiceError, redact
from g2d_tui.services.pacing import let_the_loop_run
from g2d_tui.services.sanitize import clean_line

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
MESSAGE_LIMIT = 200  # characters of a server message shown to the user

_BLOCKING_FINISH = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"}
_FINISH_KEYS = {
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


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str
    model: str = "gemini-flash-latest"
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 40
    max_output_tokens: int = 8192
    base_url: str = ""  # "" -> SDK default endpoint (the SDK itself honours GOOGLE_GEMINI_BASE_URL)
    api_version: str = "v1beta"  # deliberate: aliases like gemini-flash-latest exist on v1beta
    timeout: float = 60.0  # seconds

    @property
    def effective_base_url(self) -> str:
        """The endpoint the SDK will use: setting, else GOOGLE_GEMINI_BASE_URL, else Google's."""
        return self.base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL", "") or DEFAULT_BASE_URL


@dataclass
class Turn:
    role: Literal["user", "model"]
    text: str


@dataclass(frozen=True)
class TokenCounts:
    """Token counts of one reply, from the API's usage metadata (None where it said nothing)."""

    prompt: int | None = None
    reply: int | None = None
    thoughts: int | None = None
    total: int | None = None


@dataclass
class ReplyOutcome:
    finish_reason: str | None = None  # "STOP", "MAX_TOKENS", "SAFETY", ... as the API said
    cancelled: bool = False
    tokens: TokenCounts | None = field(default=None, compare=False)
    """The last usage metadata the stream carried (Gemini sends running totals)."""
    model_version: str | None = field(default=None, compare=False)
    """The model that answered, as the API named it (an alias resolves to a version)."""

    @property
    def truncated(self) -> bool:
        """The reply stopped early for a reason the user should be told about."""
        return self.finish_reason not in (None, "STOP")

    @property
    def notice_key(self) -> str | None:
        """Catalogue key explaining a truncated reply (params: ``reason``), else None."""
        if not self.truncated:
            return None
        return _FINISH_KEYS.get(self.finish_reason or "", "gemini.finish_other")


@dataclass(frozen=True)
class ModelInfo:
    name: str  # without the "models/" prefix
    display_name: str
    input_token_limit: int | None
    output_token_limit: int | None


@dataclass(frozen=True)
class ImagePrompt:
    prompt: str
    negative_prompt: str


IMAGE_PROMPT_INSTRUCTION = """\
You are an expert Stable Diffusion prompt engineer. Turn the user's request into a \
prompt for a text-to-image model.
- Write in ENGLISH, whatever language the request is in.
- "prompt": an elaborate, comma-separated list of descriptive phrases: the subject and \
its details first, then setting, art style or medium, lighting, colour palette, camera \
or composition, and quality tags (e.g. highly detailed, sharp focus, masterpiece).
- "negative_prompt": comma-separated things to avoid (e.g. blurry, low quality, \
deformed, extra fingers, watermark, text), adapted to the request.
- Keep the prompt within {max_tokens} tokens (about {max_words} words); no sentences, \
no explanations, no quotes.
Answer only with the JSON object."""

IMAGE_PROMPT_SCHEMA = {
    "type": "OBJECT",
    "properties": {"prompt": {"type": "STRING"}, "negative_prompt": {"type": "STRING"}},
    "required": ["prompt", "negative_prompt"],
}

# Models listed once per (endpoint, key hash) for the whole session.
_models_cache: dict[tuple[str, str], list[ModelInfo]] = {}


def estimate_tokens(text: str) -> int:
    """Token estimate used for the image prompt budget: one token per 4 characters.

    That is Google's documented rule of thumb for Gemini tokens; it errs on the long
    side for comma-separated English tag lists, so trimmed prompts stay within budget.
    """
    return math.ceil(len(text) / 4)


def trim_prompt(text: str, max_tokens: int) -> str:
    """Cut ``text`` to ``max_tokens`` (see :func:`estimate_tokens`) at a comma, else a word."""
    text = text.strip()
    if estimate_tokens(text) <= max_tokens:
        return text
    limit = max(max_tokens, 1) * 4
    head = text[: limit + 1]  # +1: a boundary right after the limit still counts
    comma = head.rfind(",")
    if comma > limit // 2:
        cut = head[:comma]
    else:
        space = head.rfind(" ")
        cut = head[:space] if space > 0 else text[:limit]
    return cut.rstrip(" ,;.")


def _human_seconds(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    minutes, secs = divmod(whole, 60)
    if not minutes:
        return f"{secs} s"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def _parse_duration(value: Any) -> float | None:
    """google.protobuf.Duration JSON ("19s", "0.5s") -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(value))
    return float(match[1]) if match else None


def _short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _candidate_text(candidate: Any) -> str:
    content = getattr(candidate, "content", None)
    parts = getattr(content, "parts", None) or []
    return "".join(p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False))


def _host_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: no credentials, path or query."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _log_failure(what: str, failure: BaseException, secret: str) -> None:
    """Log ``failure`` with its traceback at DEBUG, the API key masked.

    Fault-suite fix: ``exc_info=failure`` logged the SDK exception as is, and its text
    holds the server's whole error JSON, which may echo the key (e.g. "bad key AIza…").
    """
    if not log.isEnabledFor(logging.DEBUG):
        return
    import traceback

    text = "".join(traceback.format_exception(failure))
    log.debug("%s: %s", what, redact(text, secret, secret.strip()))


def _sort_key(model: ModelInfo) -> tuple:
    """Gemini first, ``-latest`` aliases first, then newest version, stable before preview."""
    name = model.name
    version = re.search(r"-(\d+(?:\.\d+)?)", name)
    return (
        not name.startswith("gemini"),
        not name.endswith("-latest"),
        -float(version[1]) if version else 0.0,
        any(tag in name for tag in ("preview", "exp")),
        name,
    )


def _transport_error_classes() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(timeouts, connect failures, dropped streams) of the installed HTTP stacks."""
    timeouts: list[type] = [TimeoutError, asyncio.TimeoutError]
    connects: list[type] = [ConnectionRefusedError, ConnectionAbortedError]
    cuts: list[type] = [ConnectionResetError, BrokenPipeError]
    for name in ("httpx2", "httpx"):  # the SDK's transport is httpx2; httpx just in case
        module = sys.modules.get(name)
        if module is not None:
            timeouts.append(module.TimeoutException)
            cuts += [module.RemoteProtocolError, module.ReadError, module.WriteError]
            connects.append(module.TransportError)  # ConnectError, proxy, bad URL scheme...
    aiohttp = sys.modules.get("aiohttp")  # the SDK prefers it when installed (textual-dev pulls it in)
    if aiohttp is not None:
        connects.append(aiohttp.ClientConnectorError)
        cuts += [aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError]
    return tuple(timeouts), tuple(connects), tuple(cuts)


def map_error(exc: BaseException, config: GeminiConfig, *, mid_stream: bool = False) -> GeminiError:
    """Translate an SDK/transport exception into a :class:`GeminiError` without secrets."""
    if isinstance(exc, GeminiError):
        return exc
    secret = config.api_key

    def clean(text: Any) -> str:
        return _short(redact(str(text or ""), secret, secret.strip()))

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
            return GeminiError("gemini.model_not_found", model=config.model, message=message)
        if code == 429:
            delays = [
                _parse_duration(d.get("retryDelay"))
                for d in details.get("error", details).get("details") or []
                if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo")
            ]
            delay = next((d for d in delays if d is not None), None)
            if delay is None:
                return GeminiError("gemini.rate_limited_no_delay", message=message)
            return GeminiError("gemini.rate_limited", retry_after=delay, retry=_human_seconds(delay), message=message)
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
        return GeminiError("gemini.connection", url=_host_of(config.effective_base_url))
    return GeminiError("gemini.unknown", message=clean(f"{type(exc).__name__}: {exc}"))


def parse_image_prompt(text: str | None) -> ImagePrompt | None:
    """The ``{prompt, negative_prompt}`` object in ``text``, or None when unusable."""
    if not text:
        return None
    text = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced[1]
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start : end + 1]) if 0 <= start < end else None
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    prompt, negative = data.get("prompt"), data.get("negative_prompt")
    if not isinstance(prompt, str) or not isinstance(negative, str) or not prompt.strip():
        return None
    return ImagePrompt(prompt.strip(), negative.strip())


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Said(NamedTuple):
    """What one streamed response says: all the reply keeps of it."""

    text: str
    finish_reason: str | None
    block_reason: str | None
    usage: tuple[int | None, ...] | None = None
    """Prompt, reply, thoughts and total tokens (the fields of :class:`TokenCounts`)."""
    model_version: str | None = None

    @classmethod
    def of(cls, response: Any) -> _Said:
        feedback = getattr(response, "prompt_feedback", None)
        blocked = feedback is not None and feedback.block_reason is not None
        block_reason = _enum_text(feedback.block_reason) if blocked else None
        text, finish_reason = "", None
        for candidate in getattr(response, "candidates", None) or []:
            if candidate.finish_reason is not None:
                finish_reason = _enum_text(candidate.finish_reason)
            if (candidate.index or 0) == 0:
                text += _candidate_text(candidate)
        metadata = getattr(response, "usage_metadata", None)
        usage = None
        if metadata is not None:
            usage = tuple(
                _count(getattr(metadata, name, None))
                for name in ("prompt_token_count", "candidates_token_count", "thoughts_token_count", "total_token_count")
            )
        version = getattr(response, "model_version", None)
        return cls(text, finish_reason, block_reason, usage, clean_line(version, 100) if version else None)


@dataclass
class _Reply:
    text: str = ""
    finish_reason: str | None = None
    block_reason: str | None = None
    chunks: int = 0
    usage: tuple[int | None, ...] | None = None
    model_version: str | None = None

    def observe(self, said: _Said) -> str:
        """Note what a response said (see ``_Said.of``) and return its new text."""
        self.chunks += 1
        self.block_reason = said.block_reason or self.block_reason
        self.finish_reason = said.finish_reason or self.finish_reason
        self.usage = said.usage or self.usage
        self.model_version = said.model_version or self.model_version
        self.text += said.text
        return said.text

    def refusal(self) -> GeminiError | None:
        """The error to raise when the reply ended without any text."""
        if self.text:
            return None
        if self.block_reason or self.finish_reason in _BLOCKING_FINISH:
            return GeminiError("gemini.blocked", reason=self.block_reason or self.finish_reason)
        return GeminiError("gemini.empty_reply", reason=self.finish_reason or "—")


_END = object()


def _is_last(item: Any) -> bool:
    return item is _END or isinstance(item, Exception)


PUMP_SLICE = 0.003
"""Seconds the stream task may parse buffered responses before it lets the UI run."""


async def _pump(start: Callable[[], Awaitable[AsyncIterator[Any]]], queue: asyncio.Queue[Any]) -> None:
    """Run the SDK stream in its own task, handing responses (then _END or the error) to ``queue``.

    Stopping the reply cancels this task, so the cancellation enters the SDK at its
    innermost await (the socket read) and unwinds every nested generator and the
    response cleanly; closing the outer generator from another task would leave the
    inner ones suspended until the garbage collector or loop shutdown found them.
    """
    try:
        sdk_stream = await start()
        slice_began, stopping = time.perf_counter(), False
        async for response in sdk_stream:
            # Only what it says is queued: the SDK's response is a few dozen objects, and
            # while the UI was busy a backlog of a thousand of them stayed alive in the
            # queue, promoted through the collector's generations and walked by each pass.
            queue.put_nowait(_Said.of(response))
            del response
            # Responses already buffered are parsed without awaiting the socket, so a burst
            # of them (a fast reply, a slow moment in the UI) ran in one go: 100-400 ms.
            if not stopping and time.perf_counter() - slice_began > PUMP_SLICE:
                try:
                    await let_the_loop_run()
                except asyncio.CancelledError:
                    # Cancelled here, outside the SDK, its generators would stay suspended:
                    # ask again, so the cancellation comes at its next socket read, as above.
                    stopping = True
                    asyncio.current_task().cancel()
                slice_began = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 - handed to the consumer
        queue.put_nowait(exc)
    else:
        queue.put_nowait(_END)


async def _close_response(failure: Exception) -> None:
    """Close the generators and HTTP response left open under a stream that failed mid-way.

    An error event makes the SDK raise from an outer generator while the inner ones
    (and the response) stay suspended; left to the garbage collector or to loop
    shutdown, asyncio would report "aclose(): asynchronous generator is already running".
    """
    response = getattr(failure, "response", None)  # the SDK's HttpResponse
    for closer in (
        getattr(getattr(response, "segment_iterator", None), "aclose", None),
        getattr(getattr(response, "response_stream", None), "aclose", None),
    ):
        if closer is not None:
            try:
                await closer()
            except Exception:  # noqa: BLE001 - already failing
                log.debug("closing the Gemini stream failed", exc_info=True)


@functools.cache
def _ssl_context() -> Any:
    """One TLS context for every client, chosen like the SDK does.

    The SDK would load the trust store twice per client (~60 ms each); sharing one
    context makes rebuilding the client (new key, model, ...) cheap.
    """
    import ssl

    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    try:
        import httpx2
    except ImportError:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    return httpx2.create_ssl_context()


def _paced_transport(tls: Any) -> dict[str, Any]:
    """``{"transport": PacedTransport}`` unless the SDK is told to use httpx2 (its own transport then)."""
    if os.environ.get("GOOGLE_GENAI_HTTP_CLIENT", "").strip().lower() == "httpx2":
        return {}
    from g2d_tui.services.paced_transport import PacedTransport

    return {"transport": PacedTransport(verify=tls)}


SDK_MODELS_USED = (
    # requests
    "Part", "Content", "UserContent", "GenerateContentConfig", "AutomaticFunctionCallingConfig",
    "_GenerateContentParameters", "_ListModelsParameters", "Schema",
    # responses
    "HttpResponse", "GenerateContentResponse", "Candidate", "GenerateContentResponseUsageMetadata",
    "ListModelsResponse", "Model", "TunedModelInfo",
)
"""The SDK's pydantic models a chat, an /imagine prompt and a key check go through."""


def _build_sdk_models() -> None:
    """Build the validators of :data:`SDK_MODELS_USED` now, in the client's thread.

    The SDK defers them to first use, which was the first request, on the event loop:
    ~80 ms of schema building that froze the screen as the first reply or /imagine began.
    """
    from google.genai import types

    for name in SDK_MODELS_USED:
        model = getattr(types, name, None)
        if model is not None and not getattr(model, "__pydantic_complete__", True):
            try:
                model.model_rebuild()
            except Exception:  # noqa: BLE001 - then it is built on first use, as before
                log.debug("building the SDK model %s failed", name, exc_info=True)


def _import_sdk_without_aiohttp() -> None:
    """Import google.genai with ``import aiohttp`` refused, then allow it again.

    The SDK imports aiohttp whenever it is installed (the ``web`` extra brings it) and
    would use it for a transport our clients never take (they get an httpx one, below):
    ~0.2 s more of an import that already holds the GIL while the first screen settles.
    """
    if "google.genai" in sys.modules or "aiohttp" in sys.modules:
        import google.genai  # noqa: F401 - already loaded, or aiohttp already in use
        return
    sys.modules["aiohttp"] = None  # type: ignore[assignment]
    try:
        import google.genai  # noqa: F401
    finally:
        if "aiohttp" in sys.modules and sys.modules["aiohttp"] is None:
            del sys.modules["aiohttp"]


def _build_client(config: GeminiConfig) -> Any:
    _import_sdk_without_aiohttp()
    from google import genai
    from google.genai import types

    tls = _ssl_context()
    _build_sdk_models()
    return genai.Client(
        api_key=config.api_key.strip(),
        http_options=types.HttpOptions(
            base_url=config.base_url or None,
            api_version=config.api_version,
            timeout=int(config.timeout * 1000),
            # One attempt: no hidden retries (the aiohttp transport, used when aiohttp
            # is installed, otherwise retries connection errors after a 1-10 s sleep).
            retry_options=types.HttpRetryOptions(attempts=1),
            # Never follow redirects (fault-suite fix): the SDK's clients follow them by
            # default, and httpx drops only ``Authorization`` on a cross-origin hop, so a
            # 3xx from the endpoint or a proxy would carry x-goog-api-key to another host.
            # The SDK keeps only the arguments each client accepts: ``follow_redirects``
            # reaches httpx2/httpx, ``allow_redirects`` aiohttp's requests.
            client_args={"verify": tls, "follow_redirects": False},
            async_client_args={
                "verify": tls,
                "ssl": tls,  # aiohttp and websockets
                "follow_redirects": False,
                "allow_redirects": False,
                # An httpx transport also makes the SDK use httpx (not aiohttp or httpx2),
                # so the settings above apply whatever else is installed.
                **_paced_transport(tls),
            },
        ),
    )


class GeminiChat:
    """One conversation: configuration, history and a cached SDK client."""

    def __init__(self, config: GeminiConfig, history: list[Turn] | None = None) -> None:
        self.config = config
        self.history: list[Turn] = list(history or [])
        self.last_outcome: ReplyOutcome | None = None
        self._client: Any = None
        self._retired: list[Any] = []

    # ------------------------------------------------------------ lifecycle

    def reconfigure(self, config: GeminiConfig) -> None:
        """Use a new key/model/parameters; the history stays."""
        self.config = config
        self._retire_client()

    def reset(self) -> None:
        """Start a new chat."""
        self.history.clear()
        self.last_outcome = None

    async def aclose(self) -> None:
        self._retire_client()
        await self._close_retired()

    def _retire_client(self) -> None:
        if self._client is not None:
            self._retired.append(self._client)
            self._client = None

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for client in retired:
            try:
                await client.aio.aclose()
                client.close()
            except Exception:  # noqa: BLE001 - closing must never fail the caller
                log.debug("closing a Gemini client failed", exc_info=True)

    async def _sdk(self) -> Any:
        """The cached SDK client for the current config, built on first use.

        The first build imports google.genai (~0.6-0.9 s) and every build creates SSL
        contexts (~60 ms): both run in a worker thread so the UI keeps drawing.
        """
        config = self.config
        if not config.api_key.strip():
            raise GeminiError("gemini.no_key")
        await self._close_retired()
        if self._client is None:
            try:
                client = await asyncio.to_thread(_build_client, config)
            except Exception as exc:  # noqa: BLE001
                raise map_error(exc, config) from None
            if self.config is not config or self._client is not None:
                # Reconfigured, or another call built one, while this one was building.
                self._retired.append(client)
                return await self._sdk()
            self._client = client
        return self._client

    # ------------------------------------------------------------ chat

    async def stream(self, text: str) -> AsyncIterator[str]:
        """Send ``text`` with the history and yield the reply's text fragments.

        The history gains the user turn and one merged model turn when the reply ends,
        or when it is cancelled after some text arrived; an error leaves it unchanged.
        """
        config = self.config
        client = await self._sdk()  # raises gemini.no_key before any request
        from google.genai import types

        self.last_outcome = None
        turns = [*self.history, Turn("user", text)]
        contents = [types.Content(role=turn.role, parts=[types.Part(text=turn.text)]) for turn in turns]
        generation = types.GenerateContentConfig(
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
            max_output_tokens=config.max_output_tokens,
            # No tools here. Left on, the SDK's function-calling loop keeps every chunk's
            # Content until the reply ends: thousands of live objects in a long reply.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        reply = _Reply()
        outcome = ReplyOutcome()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        pump = asyncio.create_task(
            _pump(
                lambda: client.aio.models.generate_content_stream(
                    model=config.model, contents=contents, config=generation
                ),
                queue,
            ),
            name="gemini-stream",
        )
        failure: Exception | None = None
        try:
            while True:
                # Everything already queued goes out as one piece: the UI then does one
                # update per turn of the loop, however fast the chunks arrive.
                batch = [await queue.get()]
                while not queue.empty() and not _is_last(batch[-1]):
                    batch.append(queue.get_nowait())
                last = batch.pop() if _is_last(batch[-1]) else None
                piece = "".join(reply.observe(said) for said in batch)
                del batch
                if piece:
                    yield piece
                if last is _END:
                    break
                if isinstance(last, Exception):
                    failure = last
                    break
        except (asyncio.CancelledError, GeneratorExit):
            outcome.cancelled = True
            self._conclude(text, reply, outcome)
            pump.cancel()
            await asyncio.wait([pump])
            raise
        await asyncio.wait([pump])  # already finishing: it queued _END or the error
        if failure is not None:
            # Raised outside the except block, so the SDK exception (which holds the
            # open response) is neither chained to the GeminiError nor kept alive.
            _log_failure("Gemini stream failed", failure, config.api_key)
            self._conclude(None, reply, outcome)
            error = map_error(failure, config, mid_stream=reply.chunks > 0)
            await _close_response(failure)
            del failure, last
            raise error
        self._conclude(text, reply, outcome)
        refusal = reply.refusal()
        if refusal is not None:
            raise refusal

    def _conclude(self, text: str | None, reply: _Reply, outcome: ReplyOutcome) -> None:
        """Set ``last_outcome``; record the exchange when ``text`` is given and a reply came."""
        outcome.finish_reason = reply.finish_reason or (reply.block_reason if reply.text else None)
        outcome.tokens = TokenCounts(*reply.usage) if reply.usage else None
        outcome.model_version = reply.model_version
        self.last_outcome = outcome
        if text is not None and reply.text:
            self.history += [Turn("user", text), Turn("model", reply.text)]

    async def _request(self, call: Any) -> Any:
        """Await ``call`` (a coroutine doing SDK requests); failures become GeminiError."""
        failure: Exception | None = None
        try:
            return await call
        except Exception as exc:  # noqa: BLE001 - every failure becomes a GeminiError
            failure = exc
        # Raised outside the except block: the SDK exception is not chained to ours.
        _log_failure("Gemini request failed", failure, self.config.api_key)
        error = map_error(failure, self.config)
        del failure
        raise error

    # ------------------------------------------------------------ models

    async def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Models that can chat (support generateContent), newest-looking first; cached."""
        config = self.config
        key = (config.effective_base_url, hashlib.sha256(config.api_key.strip().encode()).hexdigest())
        if not refresh and key in _models_cache:
            return list(_models_cache[key])
        client = await self._sdk()

        async def fetch() -> list[ModelInfo]:
            found = []
            pager = await client.aio.models.list(config={"page_size": 100})
            async for model in pager:  # the pager fetches the following pages itself
                if "generateContent" in (model.supported_actions or []) and model.name:
                    name = model.name.removeprefix("models/")
                    found.append(ModelInfo(name, model.display_name or name, model.input_token_limit, model.output_token_limit))
            return found

        models = sorted(await self._request(fetch()), key=_sort_key)
        _models_cache[key] = models
        return list(models)

    # ------------------------------------------------------------ image prompts

    async def write_image_prompt(self, request: str, max_tokens: int) -> ImagePrompt:
        """Ask Gemini for an English Stable Diffusion prompt of at most ``max_tokens``.

        Budget: tokens are estimated as characters / 4 (:func:`estimate_tokens`); a
        longer prompt or negative prompt is trimmed at a comma (else a word) boundary.
        The chat history is neither sent nor changed.
        """
        config = self.config
        client = await self._sdk()
        from google.genai import types

        max_tokens = max(1, int(max_tokens))
        generation = types.GenerateContentConfig(
            system_instruction=IMAGE_PROMPT_INSTRUCTION.format(
                max_tokens=max_tokens, max_words=max(1, int(max_tokens * 0.75))
            ),
            response_mime_type="application/json",
            response_schema=IMAGE_PROMPT_SCHEMA,
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
            # Prompt + negative prompt + JSON syntax, with headroom for thinking models.
            max_output_tokens=2 * max_tokens + 256,
        )
        contents = [types.Content(role="user", parts=[types.Part(text=request)])]
        for _attempt in range(2):
            reply = _Reply()
            reply.observe(
                _Said.of(
                    await self._request(
                        client.aio.models.generate_content(model=config.model, contents=contents, config=generation)
                    )
                )
            )
            refusal = reply.refusal()
            if refusal is not None and refusal.key == "gemini.blocked":
                raise refusal
            parsed = parse_image_prompt(reply.text)
            if parsed is not None:
                return ImagePrompt(trim_prompt(parsed.prompt, max_tokens), trim_prompt(parsed.negative_prompt, max_tokens))
            log.debug("unusable image prompt JSON (finish %s): %.200r", reply.finish_reason, reply.text)
        raise GeminiError("gemini.bad_prompt_json")
