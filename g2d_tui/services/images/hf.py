"""Hugging Face Inference text-to-image backend.

``POST {base_url}/models/{owner}/{name}`` with a JSON body answers with the raw image
bytes. Cold starts (503 "currently loading") are waited out within a bounded total,
the all-black frame of safety checkers is retried once with a new seed, and every
failure becomes an :class:`ImageError` with its own catalogue key.

httpx is imported on first use: it costs ~0.1 s, and startup time is measured.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from g2d_tui.services.errors import redact
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest, Progress, local_now

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import ssl

    import httpx

    from g2d_tui.services.image_codec import ImageInfo

DEFAULT_BASE_URL = "https://router.huggingface.co/hf-inference"
DEFAULT_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
CURATED_MODELS: tuple[str, ...] = (
    DEFAULT_MODEL,
    "Lykon/dreamshaper-8",
    "SG161222/Realistic_Vision_V5.1_noVAE",
    "nitrosocke/Ghibli-Diffusion",
    "stablediffusionapi/anything-v5",
    "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "black-forest-labs/FLUX.1-schnell",
    "black-forest-labs/FLUX.1-dev",
    "stabilityai/stable-diffusion-3.5-large",
)

MAX_IMAGE_BYTES = 64 * 1024 * 1024
"""Refuse bigger bodies: no text-to-image model sends that much for one picture."""
MAX_ERROR_BYTES = 64 * 1024
MAX_STEP_WAIT = 20.0
MIN_STEP_WAIT = 1.0
_IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/webp"})
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class HFConfig:
    """Connection settings of :class:`HuggingFaceBackend`."""

    api_key: str = field(repr=False)
    model: str = DEFAULT_MODEL
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 10.0
    read_timeout: float = 180.0
    max_cold_wait: float = 300.0
    """Bounded total wait for a loading model, in seconds."""


@dataclass
class _ColdStart:
    limit: float
    waited: float = 0.0


class HuggingFaceBackend:
    """Text-to-image through the Hugging Face Inference API (or a compatible server).

    Args:
        config: token, model, endpoint and timeouts.
        sleep: awaitable sleep used between cold-start retries; tests inject a fake.
    """

    name = "huggingface"

    def __init__(
        self,
        config: HFConfig,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def url(self) -> str:
        return f"{self.config.base_url.rstrip('/')}/models/{self.config.model.strip()}"

    async def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            import httpx

            # Loading the CA bundle (~50 ms) in a thread: it froze the screen as the first image began.
            tls = await asyncio.to_thread(_ssl_context)
            if self._client is None or self._client.is_closed:  # not built by another request meanwhile
                self._client = httpx.AsyncClient(
                    timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
                    verify=tls,
                    # Never follow redirects: the token must only ever reach base_url.
                    follow_redirects=False,
                )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def generate(
        self,
        request: ImageRequest,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> GeneratedImage:
        """Generate one image for ``request``.

        Raises:
            ImageError: with an ``images.*`` key for every failure (never an httpx error).
            asyncio.CancelledError: when the task is cancelled, even mid-wait.
        """
        token = (self.config.api_key or "").strip()
        if not token:
            raise ImageError("images.no_key")
        if not (token.isascii() and token.isprintable()) or " " in token:
            raise ImageError("images.invalid_token")  # could not even be sent as a header
        model = self.config.model.strip()
        if not _MODEL_ID.match(model) or ".." in model:
            raise ImageError("images.invalid_model", model=model, default=DEFAULT_MODEL)
        report = on_progress or (lambda _progress: None)
        cold = _ColdStart(limit=max(0.0, float(self.config.max_cold_wait)))

        seed = _concrete_seed(request.seed)
        data, info = await self._generate_once(request, seed, token, cold, report)
        if info.is_black:
            report(Progress("retrying_black"))
            seed = _concrete_seed(-1, avoid=seed)
            data, info = await self._generate_once(request, seed, token, cold, report)
            if info.is_black:
                raise ImageError("images.black_image")
        return GeneratedImage(
            data=data,
            mime=info.mime,
            width=info.width,
            height=info.height,
            seed=seed,
            model=model,
            request=request,
            created=local_now(),
            preview=info.preview,
        )

    async def _generate_once(
        self,
        request: ImageRequest,
        seed: int,
        token: str,
        cold: _ColdStart,
        report: Callable[[Progress], None],
    ) -> tuple[bytes, ImageInfo]:
        from g2d_tui.services import image_codec

        while True:
            report(Progress("sending"))
            status, headers, body = await self._post(request, seed, token, report)
            if status == 200:
                mime = _mime(headers)
                if mime in _IMAGE_MIMES or body.startswith(_MAGIC) or _is_webp(body):
                    report(Progress("checking"))  # decoded, checked for black, previewed
                    info = await asyncio.to_thread(image_codec.inspect, body)
                    return body, info
                if mime.startswith("image/"):
                    raise ImageError("images.corrupt")
                raise ImageError("images.not_an_image", mime=mime or "?")
            if status == 503:
                estimated = _loading_estimate(body)
                if estimated is not None:
                    await self._wait_cold_start(estimated, cold, report)
                    continue
            raise self._status_error(status, headers, body, token)

    async def _wait_cold_start(self, estimated: float, cold: _ColdStart, report: Callable[[Progress], None]) -> None:
        remaining = cold.limit - cold.waited
        if remaining <= 1e-9:
            raise ImageError("images.cold_start_timeout", seconds=_num(cold.limit))
        wait = min(max(min(estimated, MAX_STEP_WAIT), MIN_STEP_WAIT), remaining)
        report(Progress("loading", wait=wait, waited=cold.waited, limit=cold.limit))
        await self._sleep(wait)
        cold.waited += wait

    async def _post(
        self,
        request: ImageRequest,
        seed: int,
        token: str,
        report: Callable[[Progress], None],
    ) -> tuple[int, httpx.Headers, bytes]:
        """One POST; returns status, headers and the (size-capped) body."""
        import httpx

        parameters: dict[str, Any] = {}
        if request.negative_prompt:
            parameters["negative_prompt"] = request.negative_prompt
        parameters.update(
            width=int(request.width),
            height=int(request.height),
            num_inference_steps=int(request.steps),
            guidance_scale=float(request.guidance_scale),
            seed=seed,
        )
        headers = {"Authorization": f"Bearer {token}", "Accept": "image/png"}
        url = self.url
        try:
            client = await self._http()
            async with client.stream(
                "POST", url, headers=headers, json={"inputs": request.prompt, "parameters": parameters}
            ) as response:
                if response.status_code == 200:
                    report(Progress("downloading"))
                limit = MAX_IMAGE_BYTES if response.status_code == 200 else MAX_ERROR_BYTES
                body = bytearray()
                async for part in response.aiter_bytes():
                    body += part
                    if len(body) > limit:
                        if response.status_code == 200:
                            raise ImageError("images.too_large")
                        del body[limit:]
                        break
                return response.status_code, response.headers, bytes(body)
        except httpx.TimeoutException as exc:
            seconds = self.config.connect_timeout if isinstance(exc, httpx.ConnectTimeout) else self.config.read_timeout
            raise ImageError("images.timeout", seconds=_num(seconds)) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise ImageError("images.invalid_url", url=redact(self.config.base_url, token)) from None
        except httpx.ConnectError:
            raise ImageError("images.connection", host=_host(url)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise ImageError("images.connection_lost", host=_host(url)) from None
        except httpx.HTTPError:
            raise ImageError("images.connection", host=_host(url)) from None

    def _status_error(self, status: int, headers: httpx.Headers, body: bytes, token: str) -> ImageError:
        model = self.config.model.strip()
        if status == 401:
            return ImageError("images.invalid_token")
        if status == 402:
            return ImageError("images.no_credits")
        if status == 403:
            return ImageError("images.forbidden", model=model)
        if status in (404, 410):
            return ImageError("images.model_not_found", model=model, default=DEFAULT_MODEL)
        if status == 429:
            delay = _retry_after(headers.get("retry-after"))
            if delay is None:
                return ImageError("images.rate_limited")
            return ImageError("images.rate_limited_wait", retry_after=delay, seconds=max(1, round(delay)))
        if status in (400, 413, 422):
            message = _short(redact(_error_message(body), token)) or f"HTTP {status}"
            return ImageError("images.bad_request", message=message)
        if status == 503:
            return ImageError("images.unavailable")
        if status >= 500:
            return ImageError("images.server_error", code=status)
        return ImageError("images.unexpected_status", code=status)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~40 ms."""
    import httpx

    return httpx.create_ssl_context()


def _concrete_seed(seed: int, *, avoid: int | None = None) -> int:
    if seed >= 0:
        return int(seed)
    while True:
        value = random.randrange(2**32)
        if value != avoid:
            return value


def _mime(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_webp(body: bytes) -> bool:
    return body[:4] == b"RIFF" and body[8:12] == b"WEBP"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None


def _loading_estimate(body: bytes) -> float | None:
    """Seconds the service expects the model to need, if ``body`` says it is loading."""
    payload = _json(body)
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    loading = isinstance(error, str) and "currently loading" in error.lower()
    estimate = payload.get("estimated_time")
    if estimate is None and not loading:
        return None
    try:
        value = float(estimate)
    except (TypeError, ValueError):
        value = MAX_STEP_WAIT
    if not math.isfinite(value) or value < 0:
        value = MAX_STEP_WAIT
    return value


def _error_message(body: bytes) -> str:
    payload = _json(body)
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("message", payload.get("detail")))
        if isinstance(error, list):
            return "; ".join(str(item) for item in error)
        if isinstance(error, dict):
            return str(error.get("message", error))
        if error is not None:
            return str(error)
    if payload is not None and not isinstance(payload, dict):
        return str(payload)
    return body.decode("utf-8", errors="replace").strip()


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1].rstrip() + "…"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    import email.utils

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


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return parts.hostname or url
    except ValueError:
        return url


def _num(value: float) -> int | float:
    """``180.0`` -> ``180`` so messages read naturally."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 1)
