"""Hugging Face text-to-image through the Inference Providers router.

``POST {router}/{provider}/...`` with the token; each provider has its own request and
answer shape (:mod:`hf_providers`). With provider ``auto`` the model's
``inferenceProviderMapping`` is looked up once on the Hub and the first live
text-to-image provider is used (the Hub lists them in the user's order of preference).
Cold starts (503 "currently loading") are waited out within a bounded total, the
all-black frame of safety checkers is retried once with a new seed, and every failure
becomes an :class:`ImageError` with its own catalogue key.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from g2d_tui.services.images import defaults
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest, Progress, local_now
from g2d_tui.services.images.common import check_image_bytes, checked, concrete_seed, name, no_progress
from g2d_tui.services.images.hf_providers import ANSWER_LIMIT, MAPPING_LIMIT, PROVIDERS, Job, Mapping, parse_mapping, pick
from g2d_tui.services.images.transport import STOP_TIMEOUT, Answer, Deadline, Transport, join, number, parse_json, retry_after, stop_quietly

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from g2d_tui.services.image_codec import ImageInfo
    from g2d_tui.services.images.hf_providers import Call, Provider

DEFAULT_BASE_URL = defaults.HF_ROUTER_URL
DEFAULT_HUB_URL = defaults.HF_HUB_URL
DEFAULT_MODEL = defaults.HF_MODEL
CURATED_MODELS = defaults.HF_CURATED_MODELS
MAX_STEP_WAIT = 20.0
MIN_STEP_WAIT = 1.0
MAPPING_TIMEOUT = 30.0
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")

_mappings: dict[tuple[str, str], list[Mapping]] = {}
"""Provider mappings by (hub URL, model), looked up once per run."""


@dataclass(frozen=True)
class HFConfig:
    """Connection settings of :class:`HuggingFaceBackend`."""

    api_key: str = field(repr=False)
    model: str = DEFAULT_MODEL
    provider: str = defaults.HF_PROVIDER
    """``auto`` or a provider name of :data:`defaults.HF_PROVIDERS`."""
    base_url: str = DEFAULT_BASE_URL
    """The router root: requests go to ``{base_url}/{provider}/...``."""
    hub_url: str = DEFAULT_HUB_URL
    connect_timeout: float = 10.0
    read_timeout: float = 180.0
    """Total seconds for one HTTP exchange, body included."""
    max_cold_wait: float = 300.0
    """Bounded total wait for a loading model, in seconds."""
    job_timeout: float = 600.0
    """Total seconds for a provider's job after it was accepted (polling and download)."""
    poll_interval: float = 1.0


@dataclass
class _ColdStart:
    limit: float
    waited: float = 0.0


class HuggingFaceBackend:
    """Text-to-image through the Hugging Face router (or a compatible server).

    Args:
        config: token, model, provider, endpoints and timeouts.
        sleep: awaitable sleep used between cold-start retries and job polls; tests inject a fake.
    """

    name = "huggingface"
    honours = defaults.REQUEST_FIELDS

    def __init__(self, config: HFConfig, *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._transport: Transport | None = None

    @property
    def model(self) -> str:
        return self.config.model.strip()

    @property
    def transport(self) -> Transport:
        config = self.config
        if self._transport is None or self._transport.connect_timeout != config.connect_timeout:
            self._transport = Transport(connect_timeout=config.connect_timeout, secrets=(config.api_key.strip(),))
        return self._transport

    @property
    def _client(self):  # the HTTP client, for tests that check it is reused
        return None if self._transport is None else self._transport._client

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    async def list_models(self) -> list[str]:
        names = list(CURATED_MODELS)
        return names if self.model in names or not self.model else [self.model, *names]

    async def generate(self, request: ImageRequest, on_progress: Callable[[Progress], None] | None = None) -> GeneratedImage:
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
        model = self.model
        if not _MODEL_ID.match(model) or ".." in model:
            raise ImageError("images.invalid_model", model=name(model), default=DEFAULT_MODEL)
        provider = self.config.provider.strip() or defaults.HF_PROVIDER
        if provider != "auto" and provider not in PROVIDERS:
            raise ImageError("images.provider_unsupported", provider=provider)
        report = on_progress or no_progress
        mapping = await self._mapping(model, provider, token)
        report(Progress("provider", provider=mapping.provider))
        shape = PROVIDERS[mapping.provider]
        cold = _ColdStart(limit=max(0.0, float(self.config.max_cold_wait)))

        seed = concrete_seed(request.seed)
        data, info, call = await self._generate_once(request, seed, token, mapping, shape, cold, report)
        if info.is_black:
            report(Progress("retrying_black"))
            seed = concrete_seed(-1, avoid=seed)
            data, info, call = await self._generate_once(request, seed, token, mapping, shape, cold, report)
            if info.is_black:
                raise ImageError("images.black_image")
        return GeneratedImage(
            data=data, mime=info.mime, width=info.width, height=info.height, seed=seed, model=model,
            request=request, created=local_now(), preview=info.preview,
            backend=self.name, provider=mapping.provider, used=call.used,
        )

    # -- the provider mapping -----------------------------------------------------------

    async def _mapping(self, model: str, provider: str, token: str) -> Mapping:
        if provider == "hf-inference":
            return Mapping("hf-inference", model)  # served under the Hub id, no lookup needed
        key = (self.config.hub_url.strip().rstrip("/"), model)
        mappings = _mappings.get(key)
        if mappings is None:
            answer = await self.transport.request(
                "GET", join(key[0], f"api/models/{model}"), params={"expand[]": "inferenceProviderMapping"},
                headers=_auth(token), timeout=MAPPING_TIMEOUT, limit=MAPPING_LIMIT,
            )
            if not answer.ok:
                raise self._status_error(answer, "hub")
            mappings = parse_mapping(answer.json())
            _mappings[key] = mappings
        chosen = pick(mappings, provider)
        if chosen is None:
            if provider == "auto":
                raise ImageError("images.no_provider", model=model, default=DEFAULT_MODEL)
            raise ImageError("images.model_not_found", model=model, provider=provider, default=DEFAULT_MODEL)
        return chosen

    # -- one generation -----------------------------------------------------------------

    async def _generate_once(
        self, request: ImageRequest, seed: int, token: str, mapping: Mapping, shape: Provider,
        cold: _ColdStart, report: Callable[[Progress], None],
    ) -> tuple[bytes, ImageInfo, Call]:
        call = shape.call(request, seed, mapping, self.model)
        url = join(self.config.base_url, call.path)
        while True:
            report(Progress("sending"))
            answer = await self.transport.request(
                "POST", url, headers={**_auth(token), **call.headers}, json_body=call.body,
                timeout=self.config.read_timeout, limit=ANSWER_LIMIT[call.raw_image],
                on_response=lambda status: report(Progress("downloading")) if status == 200 and call.image_in_answer else None,
            )
            if answer.ok:
                body = answer.body if call.raw_image else await self._job_result(answer, token, mapping, shape, report)
                check_image_bytes(body, answer.mime if call.raw_image else "")
                return body, await checked(body, report), call
            if answer.status == 503:
                estimated = _loading_estimate(answer.body)
                if estimated is not None:
                    await self._wait_cold_start(estimated, cold, report)
                    continue
            raise self._status_error(answer, mapping.provider)

    async def _job_result(self, answer: Answer, token: str, mapping: Mapping, shape: Provider, report: Callable[[Progress], None]) -> bytes:
        if not isinstance(answer.json(), dict):
            raise ImageError("images.bad_response", provider=mapping.provider)
        config = self.config
        job = Job(
            transport=self.transport, router=config.base_url, auth=_auth(token), deadline=Deadline(config.job_timeout),
            call_timeout=config.read_timeout, poll_interval=config.poll_interval, sleep=self._sleep, report=report,
            provider=mapping.provider, check=lambda reply: self._raise_for_status(reply, mapping.provider),
        )
        try:
            return await shape.image(answer, job)
        except asyncio.CancelledError:
            if job.cancel_path is not None:
                url = join(config.base_url, f"{mapping.provider}{job.cancel_path}")
                await stop_quietly(lambda: self.transport.request("POST", url, headers=job.auth, timeout=STOP_TIMEOUT))
            raise

    async def _wait_cold_start(self, estimated: float, cold: _ColdStart, report: Callable[[Progress], None]) -> None:
        remaining = cold.limit - cold.waited
        if remaining <= 1e-9:
            raise ImageError("images.cold_start_timeout", seconds=number(cold.limit))
        wait = min(max(min(estimated, MAX_STEP_WAIT), MIN_STEP_WAIT), remaining)
        report(Progress("loading", wait=wait, waited=cold.waited, limit=cold.limit))
        await self._sleep(wait)
        cold.waited += wait

    # -- errors -------------------------------------------------------------------------

    def _raise_for_status(self, answer: Answer, provider: str) -> None:
        if not answer.ok:
            raise self._status_error(answer, provider)

    def _status_error(self, answer: Answer, provider: str) -> ImageError:
        """The error for a non-2xx ``answer`` of ``provider`` (``"hub"`` for the mapping lookup)."""
        status, model = answer.status, self.model
        if status == 401:
            return ImageError("images.invalid_token")
        if status == 402:
            return ImageError("images.no_credits", provider=provider)
        if status == 403:
            return ImageError("images.forbidden", model=model)
        if status in (404, 410):
            if provider == "hub":
                return ImageError("images.hub_model_not_found", model=model, default=DEFAULT_MODEL)
            return ImageError("images.model_not_found", model=model, provider=provider, default=DEFAULT_MODEL)
        if status == 429:
            delay = retry_after(answer.headers.get("retry-after"))
            if delay is None:
                return ImageError("images.rate_limited")
            return ImageError("images.rate_limited_wait", retry_after=delay, seconds=max(1, round(delay)))
        if status in (400, 413, 422):
            return ImageError("images.bad_request", message=self.transport.message(answer) or f"HTTP {status}")
        if status == 503:
            return ImageError("images.unavailable")
        if status >= 500:
            return ImageError("images.server_error", code=status)
        return ImageError("images.unexpected_status", code=status)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _loading_estimate(body: bytes) -> float | None:
    """Seconds the service expects the model to need, if ``body`` says it is loading."""
    payload = parse_json(body)
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
