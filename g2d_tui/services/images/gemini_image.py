"""Gemini native image output, with the chat's Gemini key.

``generate_content`` with ``response_modalities=["IMAGE"]`` and the supported aspect
ratio nearest to the requested size; the picture arrives as a part's ``inline_data``,
kept exactly as sent. Steps, CFG, negative prompt and seed do not exist here: the result
says so (``used``), and the metadata does not claim them. Gemini image output is paid
usage and carries Google's SynthID watermark. ``edit`` sends a picture plus an
instruction and records the picture it came from.

google-genai is imported lazily (~0.4-0.9 s), in a thread, as the chat does.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from g2d_tui.services.images import defaults
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest, Progress, local_now
from g2d_tui.services.images.common import check_image_bytes, checked, name, no_progress
from g2d_tui.services.images.transport import MAX_IMAGE_BYTES, MESSAGE_LIMIT, number
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from g2d_tui.services.gemini import GeminiConfig

ASPECT_RATIOS: tuple[str, ...] = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
"""The ratios Gemini image models accept."""
HONOURED = frozenset({"width", "height"})
"""Only as an aspect ratio: the model picks the pixel size."""
_BLOCKING_FINISH = frozenset({
    "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
    "RECITATION", "IMAGE_RECITATION",
})


@dataclass(frozen=True)
class GeminiImageConfig:
    """Connection settings of :class:`GeminiImageBackend`."""

    api_key: str = field(repr=False)
    model: str = defaults.GEMINI_IMAGE_MODEL
    base_url: str = ""
    """Empty: Google's endpoint (or GOOGLE_GEMINI_BASE_URL)."""
    timeout: float = 180.0
    """Total seconds for one picture."""


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The supported ratio closest to ``width``:``height`` (compared as logarithms)."""
    target = math.log(max(1, int(width)) / max(1, int(height)))

    def distance(ratio: str) -> float:
        across, down = (int(part) for part in ratio.split(":"))
        return abs(math.log(across / down) - target)

    return min(ASPECT_RATIOS, key=distance)


class GeminiImageBackend:
    """Pictures drawn by a Gemini image model."""

    name = "gemini"
    honours = HONOURED

    def __init__(self, config: GeminiImageConfig) -> None:
        self.config = config
        self._client: Any = None

    def _chat_config(self) -> GeminiConfig:
        from g2d_tui.services.gemini import GeminiConfig

        config = self.config
        return GeminiConfig(api_key=config.api_key, model=config.model.strip(), base_url=config.base_url, timeout=config.timeout)

    async def _sdk(self) -> Any:
        if not self.config.api_key.strip():
            raise ImageError("gemini.no_key")
        if self._client is None:
            from g2d_tui.services.gemini import _build_client

            client = await self._guard(asyncio.to_thread(_build_client, self._chat_config()))
            if self._client is None:
                self._client = client
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aio.aclose()
                client.close()

    async def _guard(self, call: Any) -> Any:
        """Await ``call`` within the total timeout; every failure becomes an ImageError."""
        try:
            async with asyncio.timeout(self.config.timeout):
                return await call
        except TimeoutError:
            raise ImageError("images.timeout", seconds=number(self.config.timeout)) from None
        except ImageError:
            raise
        except Exception as exc:  # noqa: BLE001 - SDK and transport errors alike
            failure = exc
        from g2d_tui.services.gemini import map_error

        error = map_error(failure, self._chat_config())
        del failure
        if error.key == "gemini.model_not_found":
            raise ImageError("images.gemini_model_not_found", model=name(self.config.model))
        raise ImageError(error.key, retry_after=error.retry_after, **error.params)

    async def list_models(self) -> list[str]:
        """The key's models that can draw (image models that answer generateContent)."""
        client = await self._sdk()

        async def fetch() -> list[str]:
            found = []
            pager = await client.aio.models.list(config={"page_size": 100})
            async for model in pager:
                model_name = (model.name or "").removeprefix("models/")
                if "image" in model_name and "imagen" not in model_name and "generateContent" in (model.supported_actions or []):
                    found.append(name(model_name))
            return found

        return sorted(await self._guard(fetch()), reverse=True)

    async def generate(self, request: ImageRequest, on_progress: Callable[[Progress], None] | None = None) -> GeneratedImage:
        """Draw ``request.prompt`` at the aspect ratio nearest to its size.

        Raises:
            ImageError: ``images.gemini_*``, ``gemini.*`` (key, quota...) and ``images.*`` keys.
        """
        from google.genai import types

        report = on_progress or no_progress
        client = await self._sdk()
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=nearest_aspect_ratio(request.width, request.height)),
        )
        return await self._draw(client, [request.prompt], config, request, report)

    async def edit(
        self, image_bytes: bytes, mime: str, instruction: str, parent: str,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> GeneratedImage:
        """Change the picture ``image_bytes`` as ``instruction`` says; the result records ``parent``.

        Raises:
            ImageError: as :meth:`generate`.
        """
        from google.genai import types

        report = on_progress or no_progress
        client = await self._sdk()
        contents = [types.Part.from_bytes(data=image_bytes, mime_type=mime), instruction]
        config = types.GenerateContentConfig(response_modalities=["IMAGE"])
        request = ImageRequest(prompt=instruction, negative_prompt="", source_request=instruction)
        return await self._draw(client, contents, config, request, report, parent=parent)

    async def _draw(
        self, client: Any, contents: list[Any], config: Any, request: ImageRequest,
        report: Callable[[Progress], None], parent: str = "",
    ) -> GeneratedImage:
        model = self.config.model.strip()
        report(Progress("sending"))
        response = await self._guard(client.aio.models.generate_content(model=model, contents=contents, config=config))
        data, mime = _image_of(response)
        check_image_bytes(data, mime)
        info = await checked(data, report)
        return GeneratedImage(
            data=data, mime=mime if mime.startswith("image/") else info.mime, width=info.width, height=info.height,
            seed=-1, model=name(model), request=request, created=local_now(), preview=info.preview,
            backend=self.name, used=HONOURED if not parent else frozenset(), parent=name(parent),
        )


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _image_of(response: Any) -> tuple[bytes, str]:
    """The picture's bytes and mime type, or the ImageError that says why there is none."""
    feedback = getattr(response, "prompt_feedback", None)
    blocked = _enum(getattr(feedback, "block_reason", None))
    if blocked:
        raise ImageError("images.gemini_blocked", reason=name(blocked))
    candidates = getattr(response, "candidates", None) or []
    texts: list[str] = []
    fallback: tuple[bytes, str] | None = None
    for candidate in candidates:
        content = getattr(candidate, "content", None)
        for part in getattr(content, "parts", None) or []:
            blob = getattr(part, "inline_data", None)
            data = getattr(blob, "data", None)
            if isinstance(data, bytes) and data:
                if len(data) > MAX_IMAGE_BYTES:
                    raise ImageError("images.too_large")
                found = (data, name(getattr(blob, "mime_type", "") or "").lower())
                if not getattr(part, "thought", False):
                    return found  # the final picture, not a draft shown while thinking
                fallback = fallback or found
            elif getattr(part, "text", None) and not getattr(part, "thought", False):
                texts.append(part.text)
    if fallback is not None:
        return fallback
    finish = _enum(getattr(candidates[0], "finish_reason", None)) if candidates else ""
    if finish in _BLOCKING_FINISH:
        raise ImageError("images.gemini_blocked", reason=name(finish))
    said = clean_line(" ".join(texts), MESSAGE_LIMIT)
    if said:
        raise ImageError("images.gemini_no_image_said", message=said)
    raise ImageError("images.gemini_no_image", reason=name(finish or "?"))
