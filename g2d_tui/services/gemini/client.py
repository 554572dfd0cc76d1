"""The SDK client: configuration, and a cached ``genai.Client`` built off the event loop.

``google.genai`` is imported lazily, in a thread: importing it costs about half a second,
which start-up must not pay.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from g2d_tui.services.gemini.errors import GeminiError, map_error

log = logging.getLogger("g2d_tui.services.gemini")

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"


@dataclass(frozen=True)
class GeminiConfig:
    api_key: str = field(repr=False)
    model: str = "gemini-flash-latest"
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 40
    max_output_tokens: int = 8192
    base_url: str = ""
    """"" -> SDK default endpoint (the SDK itself honours GOOGLE_GEMINI_BASE_URL)."""
    api_version: str = "v1beta"
    """Deliberate: aliases like gemini-flash-latest exist on v1beta."""
    timeout: float = 60.0
    """Seconds for a whole request (a prompt, a model list page), and at most between two
    parts of a streamed reply."""
    reply_deadline: float = 600.0
    """Seconds for a whole streamed reply: a server trickling bytes never ends it otherwise."""
    max_history_tokens: int = 0
    """Budget for the history sent with a message; 0 = the model's input limit."""

    @property
    def effective_base_url(self) -> str:
        """The endpoint the SDK will use: setting, else GOOGLE_GEMINI_BASE_URL, else Google's."""
        return self.base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL", "") or DEFAULT_BASE_URL


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


def _httpx_transport(tls: Any) -> dict[str, Any]:
    """``{"transport": ...}``: an httpx transport, so the SDK uses httpx whatever else is installed.

    Given no transport, the SDK picks aiohttp when it was imported before (the web mode
    serves through it), and there a refused connection surfaces as a reply cut off
    rather than a server out of reach. ``GOOGLE_GENAI_HTTP_CLIENT=httpx2`` is the user's
    own choice of the SDK's httpx2: an httpx transport would contradict it.
    """
    if os.environ.get("GOOGLE_GENAI_HTTP_CLIENT", "").strip().lower() == "httpx2":
        return {}
    import httpx

    return {"transport": httpx.AsyncHTTPTransport(verify=tls)}


SDK_MODELS_USED = (
    # requests
    "Part", "Content", "UserContent", "GenerateContentConfig", "AutomaticFunctionCallingConfig",
    "_GenerateContentParameters", "_ListModelsParameters", "Schema", "ImageConfig", "Blob",
    # responses
    "HttpResponse", "GenerateContentResponse", "Candidate", "GenerateContentResponseUsageMetadata",
    "ListModelsResponse", "Model", "TunedModelInfo",
)
"""The SDK's pydantic models a chat, an /imagine prompt and a key check go through."""


def _build_sdk_models() -> None:
    """Build the validators of :data:`SDK_MODELS_USED` now, in the client's thread: the SDK
    defers them to first use, on the event loop (~80 ms as the first reply began)."""
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
    prefers it as its transport: ~0.2 s more of an import that holds the GIL while the
    first screen settles, for a transport the client never uses (it gives the SDK an
    httpx one).
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


def build_client(config: GeminiConfig) -> Any:
    """A ``genai.Client`` for ``config``: one attempt per request, no redirects."""
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
            # One attempt: no hidden retries (the aiohttp transport, which the SDK uses
            # when told httpx2 with aiohttp loaded, retries connection errors after 1-10 s).
            retry_options=types.HttpRetryOptions(attempts=1),
            # Never follow redirects: httpx drops only ``Authorization`` on a cross-origin
            # hop, so a 3xx would carry x-goog-api-key to another host. The SDK keeps only
            # the arguments each client accepts: ``follow_redirects`` reaches httpx2/httpx,
            # ``allow_redirects`` aiohttp's requests.
            client_args={"verify": tls, "follow_redirects": False},
            async_client_args={
                "verify": tls,
                "ssl": tls,  # aiohttp and websockets
                "follow_redirects": False,
                "allow_redirects": False,
                **_httpx_transport(tls),
            },
        ),
    )


class ClientCache:
    """The SDK client for the current configuration, rebuilt when it changes."""

    def __init__(self, config: GeminiConfig) -> None:
        self.config = config
        self._client: Any = None
        self._retired: list[Any] = []

    def reconfigure(self, config: GeminiConfig) -> None:
        self.config = config
        self._retire()

    def _retire(self) -> None:
        if self._client is not None:
            self._retired.append(self._client)
            self._client = None

    async def aclose(self) -> None:
        self._retire()
        await self._close_retired()

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for client in retired:
            try:
                await client.aio.aclose()
                client.close()
            except Exception:  # noqa: BLE001 - closing must never fail the caller
                log.debug("closing a Gemini client failed", exc_info=True)

    async def get(self) -> Any:
        """The client, built on first use: the first build imports google.genai (~0.6-0.9 s)
        and every build creates TLS contexts, so both run in a thread.

        Raises:
            GeminiError: ``gemini.no_key`` before any request; a mapped error if building fails.
        """
        config = self.config
        if not config.api_key.strip():
            raise GeminiError("gemini.no_key")
        await self._close_retired()
        if self._client is None:
            try:
                client = await asyncio.to_thread(build_client, config)
            except Exception as exc:  # noqa: BLE001
                raise map_error(exc, config) from None
            if self.config is not config or self._client is not None:
                # Reconfigured, or another call built one, while this one was building.
                self._retired.append(client)
                return await self.get()
            self._client = client
        return self._client
