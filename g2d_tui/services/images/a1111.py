"""AUTOMATIC1111 / Forge text-to-image through the web UI's API (started with ``--api``).

``POST {base_url}/sdapi/v1/txt2img`` answers, when the picture is done, with
``{"images": [base64...], "parameters": {...}, "info": "<JSON with infotexts, seed...>"}``.
While it runs, ``GET /sdapi/v1/progress`` tells the sampling step; escape sends
``POST /sdapi/v1/interrupt``. The server's own infotext goes into the saved PNG.
Shapes from AUTOMATIC1111/stable-diffusion-webui ``modules/api/api.py`` and ``models.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from g2d_tui.services.images import defaults
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest, Progress, local_now
from g2d_tui.services.images.common import check_image_bytes, checked, concrete_seed, decode_base64, exact_name, name, no_progress
from g2d_tui.services.images.transport import MAX_JSON_BYTES, MESSAGE_LIMIT, STOP_TIMEOUT, Answer, Transport, join, stop_quietly
from g2d_tui.services.png_metadata import MAX_TEXT_CHUNK, one_line, prompt_line
from g2d_tui.services.sanitize import clean, clean_line

if TYPE_CHECKING:
    from collections.abc import Callable

PROGRESS_TIMEOUT = 10.0


@dataclass(frozen=True)
class A1111Config:
    """Connection settings of :class:`A1111Backend`."""

    base_url: str = defaults.A1111_URL
    model: str = ""
    """A checkpoint title from ``/sdapi/v1/sd-models``; empty = the server's current one."""
    sampler: str = ""
    """A sampler name from ``/sdapi/v1/samplers``; empty = the server's default."""
    connect_timeout: float = 5.0
    read_timeout: float = 600.0
    """Total seconds for one generation (a local GPU can be slow), body included."""
    list_timeout: float = 30.0
    poll_interval: float = 1.0
    """Seconds between progress checks while a picture is drawn."""


class A1111Backend:
    """Text-to-image on an AUTOMATIC1111 or Forge server."""

    name = "a1111"
    honours = defaults.REQUEST_FIELDS

    def __init__(self, config: A1111Config) -> None:
        self.config = config
        self.transport = Transport(connect_timeout=config.connect_timeout, unreachable=self._unreachable)
        self._checkpoints: list[str] | None = None

    def _unreachable(self, host: str) -> ImageError:
        return ImageError("images.a1111_unreachable", url=name(self.config.base_url))

    def _url(self, path: str) -> str:
        return join(self.config.base_url, path)

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- lists for the pickers ----------------------------------------------------------

    async def list_models(self) -> list[str]:
        """Checkpoint titles (``name.safetensors [hash]``), as ``sd_model_checkpoint`` takes them."""
        items = await self._get_list("sdapi/v1/sd-models")
        titles = (exact_name(item.get("title")) for item in items if isinstance(item, dict))
        self._checkpoints = [title for title in titles if title]
        return list(self._checkpoints)

    async def list_samplers(self) -> list[str]:
        items = await self._get_list("sdapi/v1/samplers")
        names = (exact_name(item.get("name")) for item in items if isinstance(item, dict))
        return [sampler for sampler in names if sampler]

    async def _get_list(self, path: str) -> list[Any]:
        answer = await self.transport.request("GET", self._url(path), timeout=self.config.list_timeout)
        if not answer.ok:
            raise self._status_error(answer)
        payload = answer.json()
        if not isinstance(payload, list):
            raise ImageError("images.bad_response", provider="AUTOMATIC1111")
        return payload

    async def _check_model(self, model: str) -> None:
        """Fail early, and clearly, when the checkpoint is not on the server."""
        if self._checkpoints is None or model not in self._checkpoints:
            await self.list_models()
        titles = self._checkpoints or []
        stems = {title.split(" [", 1)[0] for title in titles}
        stems |= {stem.rsplit(".", 1)[0] for stem in stems}
        if model not in titles and model not in stems:
            raise ImageError("images.a1111_model_missing", model=model)

    # -- generation ---------------------------------------------------------------------

    async def generate(self, request: ImageRequest, on_progress: Callable[[Progress], None] | None = None) -> GeneratedImage:
        """Draw ``request`` on the server; escape interrupts the server's job.

        Raises:
            ImageError: ``images.a1111_*`` and the shared transport keys.
            asyncio.CancelledError: after asking the server to stop.
        """
        report = on_progress or no_progress
        model, sampler = self.config.model.strip(), self.config.sampler.strip()
        if model:
            await self._check_model(model)
        seed = concrete_seed(request.seed)
        body: dict[str, Any] = {
            # One line each: the server writes them into its infotext, where a line break
            # could pass for a "Negative prompt:" or "Steps:" line.
            "prompt": prompt_line(request.prompt),
            "negative_prompt": one_line(request.negative_prompt),
            "steps": int(request.steps),
            "cfg_scale": float(request.guidance_scale),
            "width": int(request.width),
            "height": int(request.height),
            "seed": seed,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": True,
            "save_images": False,
        }
        if sampler:
            body["sampler_name"] = sampler
        if model:
            body["override_settings"] = {"sd_model_checkpoint": model}
            body["override_settings_restore_afterwards"] = True
        report(Progress("sending"))
        post = asyncio.ensure_future(self.transport.request(
            "POST", self._url("sdapi/v1/txt2img"), json_body=body, timeout=self.config.read_timeout, limit=MAX_JSON_BYTES,
        ))
        watcher = asyncio.ensure_future(self._watch_progress(report))
        try:
            answer = await post
        except asyncio.CancelledError:
            post.cancel()
            await stop_quietly(lambda: self.transport.request("POST", self._url("sdapi/v1/interrupt"), timeout=STOP_TIMEOUT))
            raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
        if not answer.ok:
            raise self._status_error(answer)
        return await self._picture(answer, request, seed, model, sampler, report)

    async def _watch_progress(self, report: Callable[[Progress], None]) -> None:
        """Report the sampling step until cancelled; progress is a courtesy, failures are ignored."""
        last: tuple[int, int] | None = None
        while True:
            await asyncio.sleep(self.config.poll_interval)
            try:
                answer = await self.transport.request(
                    "GET", self._url("sdapi/v1/progress"), params={"skip_current_image": "true"}, timeout=PROGRESS_TIMEOUT,
                )
            except ImageError:
                continue
            state = answer.json().get("state") if answer.ok and isinstance(answer.json(), dict) else None
            if not isinstance(state, dict):
                continue
            step, total = state.get("sampling_step"), state.get("sampling_steps")
            if isinstance(step, int) and isinstance(total, int) and total > 0 and (step, total) != last:
                last = (step, total)
                report(Progress("step", step=min(step, total), total=total))

    async def _picture(
        self, answer: Answer, request: ImageRequest, seed: int, model: str, sampler: str, report: Callable[[Progress], None],
    ) -> GeneratedImage:
        payload = answer.json()
        images = payload.get("images") if isinstance(payload, dict) else None
        if not isinstance(images, list) or not images:
            raise ImageError("images.a1111_no_image")
        report(Progress("downloading"))
        data = decode_base64(images[0])
        check_image_bytes(data)
        info = await checked(data, report)
        details = _info(payload.get("info"))
        infotexts = details.get("infotexts")
        infotext = infotexts[0] if isinstance(infotexts, list) and infotexts and isinstance(infotexts[0], str) else ""
        used_seed = details.get("seed")
        return GeneratedImage(
            data=data, mime=info.mime, width=info.width, height=info.height,
            seed=used_seed if isinstance(used_seed, int) and not isinstance(used_seed, bool) else seed,
            model=name(details.get("sd_model_name") or model), request=request, created=local_now(), preview=info.preview,
            backend=self.name, sampler=name(details.get("sampler_name") or sampler),
            infotext=clean(infotext)[:MAX_TEXT_CHUNK // 2],
        )

    def _message(self, answer: Answer) -> str:
        """A1111's error body: ``{"error": <exception class>, "detail": ..., "errors": <str(exception)>}``
        (FastAPI's own ``{"detail": ...}`` for validation errors)."""
        payload = answer.json()
        if isinstance(payload, dict) and isinstance(payload.get("error"), str):
            said = next((payload[key] for key in ("detail", "errors") if isinstance(payload.get(key), str) and payload[key]), "")
            text = f"{payload['error']}: {said}" if said and said != payload["error"] else payload["error"]
            return clean_line(text, MESSAGE_LIMIT)
        return self.transport.message(answer)

    def _status_error(self, answer: Answer) -> ImageError:
        status, message = answer.status, self._message(answer)
        if status == 404:
            if "sampler" in message.lower():
                return ImageError("images.a1111_sampler_missing", sampler=name(self.config.sampler))
            if "model" in message.lower() and self.config.model.strip():
                return ImageError("images.a1111_model_missing", model=name(self.config.model))
            return ImageError("images.a1111_no_api", url=name(self.config.base_url))
        if status == 401:
            return ImageError("images.a1111_auth")
        if status in (400, 422):
            return ImageError("images.bad_request", message=message or f"HTTP {status}")
        if status >= 500:
            return ImageError("images.a1111_failed", message=message or f"HTTP {status}")
        return ImageError("images.unexpected_status", code=status)


def _info(raw: object) -> dict[str, Any]:
    """The ``info`` of a txt2img answer: a JSON string (a dict in some forks)."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads(raw)
            if isinstance(parsed, dict):
                return parsed
    return {}
