"""Request and response shapes of the Hugging Face inference providers that draw pictures.

Each provider is reached through the router, ``{router}/{provider}/...``, with the
Hugging Face token; each wants the prompt in its own body and answers in its own way.
The shapes are those of huggingface_hub's own client
(``src/huggingface_hub/inference/_providers/*.py``):

=============  ====================================  ==========================================
provider       request                               answer
=============  ====================================  ==========================================
hf-inference   ``/models/{id}``: inputs+parameters   the raw image bytes
fal-ai         ``/{id}``: prompt, image_size...      ``images[0].url`` to download
nscale         ``/v1/images/generations``            ``data[0].b64_json`` (no steps)
together       ``/v1/images/generations``            ``data[0].b64_json``
replicate      ``/v1/models/{id}/predictions``       ``output`` URL(s); a job to poll if not done
wavespeed      ``/api/v3/{id}``                      a job: poll ``data.urls.get``, then a URL
zai-org        ``/api/paas/v4/async/images/...``     a job: poll ``async-result/{id}``, then a URL
=============  ====================================  ==========================================

Polling paths from a provider's answer are re-rooted on the router (only their path is
used), so the token never leaves it; result URLs are downloaded without the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from g2d_tui.services.images.base import ImageError, Progress
from g2d_tui.services.images.common import decode_base64, is_data_url
from g2d_tui.services.images.transport import (
    MAX_IMAGE_BYTES,
    MAX_JSON_BYTES,
    MAX_SMALL_JSON_BYTES,
    MESSAGE_LIMIT,
    Answer,
    join,
)
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from g2d_tui.services.images.base import ImageRequest
    from g2d_tui.services.images.transport import Deadline, Transport

HUB_MODEL_URL = "https://huggingface.co"
"""Where LoRA weights named in a provider mapping live (huggingface_hub's constant)."""


@dataclass(frozen=True)
class Mapping:
    """One entry of a model's ``inferenceProviderMapping`` on the Hub."""

    provider: str
    provider_id: str
    """The model's id on the provider's side."""
    status: str = "live"
    task: str = "text-to-image"
    adapter_weights_path: str | None = None


@dataclass(frozen=True)
class Call:
    """The request a provider wants, relative to the router root."""

    path: str
    body: dict[str, Any]
    used: frozenset[str]
    """Request fields sent (and so applied, as far as we can know)."""
    headers: dict[str, str] = field(default_factory=dict)
    raw_image: bool = False
    """The answer's body is the picture itself."""
    image_in_answer: bool = False
    """The answer carries the picture (raw or base64), rather than a URL or a job."""


@dataclass
class Job:
    """What a provider needs to turn its answer into picture bytes."""

    transport: Transport
    router: str
    auth: dict[str, str] = field(repr=False)
    deadline: Deadline
    call_timeout: float
    poll_interval: float
    sleep: Callable[[float], Awaitable[Any]]
    report: Callable[[Progress], None]
    provider: str
    check: Callable[[Answer], None]
    """Raises the ImageError for an error status (the backend's mapping)."""
    cancel_path: str | None = None
    """Set while a job that can be cancelled runs on the provider."""

    async def get(self, path: str) -> Any:
        """GET ``{router}/{provider}{path}`` with the token; the JSON answer."""
        answer = await self.transport.request(
            "GET", join(self.router, f"{self.provider}{path}"), headers=self.auth,
            timeout=self.call_timeout, deadline=self.deadline, limit=MAX_JSON_BYTES,
        )
        self.check(answer)
        payload = answer.json()
        if not isinstance(payload, dict):
            raise ImageError("images.bad_response", provider=self.provider)
        return payload

    async def download(self, url: object) -> bytes:
        """The picture at ``url`` (http(s) or a data: URL), fetched without the token."""
        if not isinstance(url, str) or not url:
            raise ImageError("images.bad_response", provider=self.provider)
        if is_data_url(url):
            return decode_base64(url)
        if urlsplit(url).scheme not in ("http", "https"):
            raise ImageError("images.bad_response", provider=self.provider)
        self.report(Progress("downloading"))
        answer = await self.transport.request(
            "GET", url, timeout=self.call_timeout, deadline=self.deadline, limit=MAX_IMAGE_BYTES, follow_redirects=True,
        )
        if not answer.ok:
            raise ImageError("images.result_download_failed", provider=self.provider, code=answer.status)
        return answer.body

    async def pause(self) -> None:
        self.deadline.check()
        await self.sleep(min(self.poll_interval, max(self.deadline.remaining(), 0.0)))
        self.deadline.check()

    def failed(self, message: object) -> ImageError:
        text = clean_line(self.transport.redact(str(message or "")), MESSAGE_LIMIT)
        return ImageError("images.job_failed", provider=self.provider, message=text or "?")


def _parameters(request: ImageRequest, seed: int) -> dict[str, Any]:
    """huggingface_hub's text_to_image parameters, None values left out."""
    parameters: dict[str, Any] = {}
    if request.negative_prompt:
        parameters["negative_prompt"] = request.negative_prompt
    parameters.update(
        height=int(request.height),
        width=int(request.width),
        num_inference_steps=int(request.steps),
        guidance_scale=float(request.guidance_scale),
        seed=seed,
    )
    return parameters


_ALL = frozenset({"negative_prompt", "width", "height", "steps", "guidance_scale", "seed"})


class Provider:
    """One provider's shape. Subclasses set ``name`` and override what differs."""

    name = ""

    def call(self, request: ImageRequest, seed: int, mapping: Mapping, model: str) -> Call:  # pragma: no cover
        raise NotImplementedError

    async def image(self, answer: Answer, job: Job) -> bytes:
        """Picture bytes from the (successful) first answer."""
        return answer.body


class HFInference(Provider):
    name = "hf-inference"

    def call(self, request, seed, mapping, model):
        path = f"/{self.name}/models/{quote(mapping.provider_id, safe='/')}"
        return Call(path, {"inputs": request.prompt, "parameters": _parameters(request, seed)}, _ALL,
                    {"Accept": "image/png"}, raw_image=True, image_in_answer=True)


class FalAI(Provider):
    name = "fal-ai"

    def call(self, request, seed, mapping, model):
        parameters = _parameters(request, seed)
        body: dict[str, Any] = {"prompt": request.prompt, **parameters}
        body["image_size"] = {"width": body.pop("width"), "height": body.pop("height")}
        if mapping.adapter_weights_path:
            path = f"{HUB_MODEL_URL}/{model}/resolve/main/{mapping.adapter_weights_path}"
            body["loras"] = [{"path": path, "scale": 1}]
            if mapping.provider_id == "fal-ai/lora":
                body["model_name"] = "stabilityai/stable-diffusion-xl-base-1.0"
        return Call(f"/{self.name}/{mapping.provider_id}", body, _ALL)

    async def image(self, answer, job):
        return await job.download(_first(answer.json(), "images", "url", job))


class Together(Provider):
    name = "together"

    def call(self, request, seed, mapping, model):
        parameters = _parameters(request, seed)
        parameters["steps"] = parameters.pop("num_inference_steps")
        body = {"prompt": request.prompt, "response_format": "base64", **parameters, "model": mapping.provider_id}
        return Call(f"/{self.name}/v1/images/generations", body, _ALL, image_in_answer=True)

    async def image(self, answer, job):
        return decode_base64(_first(answer.json(), "data", "b64_json", job))


class Nscale(Provider):
    name = "nscale"

    def call(self, request, seed, mapping, model):
        parameters = _parameters(request, seed)
        parameters["size"] = f"{parameters.pop('width')}x{parameters.pop('height')}"
        parameters.pop("num_inference_steps")  # nscale takes no step count
        body = {"response_format": "b64_json", "prompt": request.prompt, "model": mapping.provider_id, **parameters}
        return Call(f"/{self.name}/v1/images/generations", body, _ALL - {"steps"}, image_in_answer=True)

    async def image(self, answer, job):
        return decode_base64(_first(answer.json(), "data", "b64_json", job))


class Replicate(Provider):
    name = "replicate"
    _PENDING = {"starting": "queued", "processing": "running"}

    def call(self, request, seed, mapping, model):
        body: dict[str, Any] = {"input": {"prompt": request.prompt, **_parameters(request, seed)}}
        provider_id = mapping.provider_id
        if ":" in provider_id:
            body["version"] = provider_id.split(":", 1)[1]
            path = f"/{self.name}/v1/predictions"
        else:
            path = f"/{self.name}/v1/models/{provider_id}/predictions"
        if mapping.adapter_weights_path:
            body["input"]["lora_weights"] = f"{HUB_MODEL_URL}/{model}"
        return Call(path, body, _ALL, {"Prefer": "wait"})

    async def image(self, answer, job):
        prediction = answer.json()
        if not isinstance(prediction, dict):
            raise ImageError("images.bad_response", provider=self.name)
        # "Prefer: wait" holds the answer up to a minute; a slower model leaves a job to poll.
        urls = prediction.get("urls") if isinstance(prediction.get("urls"), dict) else {}
        job.cancel_path = _path(urls.get("cancel"))
        poll = _path(urls.get("get"))
        while prediction.get("output") is None:
            status = prediction.get("status")
            if status in ("failed", "canceled"):
                raise job.failed(prediction.get("error") or status)
            if status not in self._PENDING or poll is None:
                raise ImageError("images.bad_response", provider=self.name)
            job.report(Progress(self._PENDING[status]))
            await job.pause()
            prediction = await job.get(poll)
        job.cancel_path = None
        output = prediction["output"]
        return await job.download(output[0] if isinstance(output, list) and output else output)


class Wavespeed(Provider):
    name = "wavespeed"

    def call(self, request, seed, mapping, model):
        return Call(f"/{self.name}/api/v3/{mapping.provider_id}", {"prompt": request.prompt, **_parameters(request, seed)}, _ALL)

    async def image(self, answer, job):
        payload = answer.json()
        data = payload.get("data") if isinstance(payload, dict) else None
        urls = data.get("urls") if isinstance(data, dict) else None
        poll = _path(urls.get("get")) if isinstance(urls, dict) else None
        if poll is None:
            raise ImageError("images.bad_response", provider=self.name)
        while True:
            await job.pause()
            result = (await job.get(poll)).get("data") or {}
            status = result.get("status") if isinstance(result, dict) else None
            if status == "completed":
                outputs = result.get("outputs")
                if not isinstance(outputs, list) or not outputs:
                    raise ImageError("images.bad_response", provider=self.name)
                return await job.download(outputs[0])
            if status == "failed":
                raise job.failed(result.get("error"))
            if status not in ("created", "processing"):
                raise ImageError("images.bad_response", provider=self.name)
            job.report(Progress("queued" if status == "created" else "running"))


class Zai(Provider):
    name = "zai-org"

    def call(self, request, seed, mapping, model):
        parameters = _parameters(request, seed)
        size = f"{parameters.pop('width')}x{parameters.pop('height')}"
        body = {"model": mapping.provider_id, "prompt": request.prompt, "size": size, **parameters}
        return Call(f"/{self.name}/api/paas/v4/async/images/generations", body, _ALL)

    async def image(self, answer, job):
        result = answer.json()
        task = result.get("id") if isinstance(result, dict) else None
        if not isinstance(task, (str, int)) or not str(task):
            raise ImageError("images.bad_response", provider=self.name)
        while True:
            status = result.get("task_status")
            if status == "FAIL":
                raise job.failed(result.get("error") or status)
            if status == "SUCCESS" or (status != "PROCESSING" and result.get("image_result")):
                return await job.download(_first(result, "image_result", "url", job))
            if status != "PROCESSING":
                raise ImageError("images.bad_response", provider=self.name)
            job.report(Progress("running"))
            await job.pause()
            result = await job.get(f"/api/paas/v4/async-result/{quote(str(task), safe='')}")


PROVIDERS: dict[str, Provider] = {
    shape.name: shape for shape in (HFInference(), FalAI(), Nscale(), Replicate(), Together(), Wavespeed(), Zai())
}
"""The providers whose text-to-image shapes we speak, by name."""

ANSWER_LIMIT = {True: MAX_IMAGE_BYTES, False: MAX_JSON_BYTES}
"""Body cap of the first answer: an image, or JSON that may carry a base64 image."""
MAPPING_LIMIT = MAX_SMALL_JSON_BYTES


def _first(payload: Any, key: str, inner: str, job: Job) -> Any:
    """``payload[key][0][inner]``, or ``images.bad_response``."""
    items = payload.get(key) if isinstance(payload, dict) else None
    first = items[0] if isinstance(items, list) and items else None
    value = first.get(inner) if isinstance(first, dict) else None
    if value is None:
        raise ImageError("images.bad_response", provider=job.provider)
    return value


def _path(url: object) -> str | None:
    """The path of a provider's job URL (re-rooted on the router), or None."""
    if not isinstance(url, str) or not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    return path if path.startswith("/") and ".." not in path else None


def parse_mapping(payload: Any) -> list[Mapping]:
    """The entries of a Hub ``inferenceProviderMapping`` (a dict by provider, or a list)."""
    raw = payload.get("inferenceProviderMapping") if isinstance(payload, dict) else None
    if isinstance(raw, dict):
        items = [{**value, "provider": key} for key, value in raw.items() if isinstance(value, dict)]
    elif isinstance(raw, list):
        items = [item for item in raw if isinstance(item, dict)]
    else:
        return []
    mappings = []
    for item in items:
        provider, provider_id = item.get("provider"), item.get("providerId")
        if isinstance(provider, str) and isinstance(provider_id, str) and provider and provider_id:
            weights = item.get("adapterWeightsPath")
            mappings.append(Mapping(
                provider, provider_id, str(item.get("status", "")), str(item.get("task", "")),
                weights if isinstance(weights, str) and weights else None,
            ))
    return mappings


def pick(mappings: list[Mapping], provider: str) -> Mapping | None:
    """The mapping to use: ``provider``'s, or for ``auto`` the first live text-to-image one
    whose shape we speak (the Hub lists them in the user's order of preference)."""
    for mapping in mappings:
        if mapping.task != "text-to-image" or mapping.provider not in PROVIDERS:
            continue
        if provider == "auto" and mapping.status == "live":
            return mapping
        if mapping.provider == provider:
            return mapping
    return None
