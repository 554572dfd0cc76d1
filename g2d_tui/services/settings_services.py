"""Service configurations made from the settings, the same way for the app and the command line."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from g2d_tui.conversation import Picture
    from g2d_tui.services.gemini import GeminiConfig, ImagePrompt
    from g2d_tui.services.images.base import GeneratedImage, ImageRequest
    from g2d_tui.settings.model import Environment, ImageSettings, Settings


def gemini_config(settings: Settings, environment: Environment, *, model: str | None = None) -> GeminiConfig:
    """The chat service's configuration; ``model`` overrides the setting."""
    from g2d_tui.services.gemini import GeminiConfig
    from g2d_tui.settings.model import effective

    gemini, resolved = settings.gemini, effective(settings, environment)
    return GeminiConfig(
        api_key=resolved.gemini_api_key,
        model=model or gemini.model,
        temperature=gemini.temperature,
        top_p=gemini.top_p,
        top_k=gemini.top_k,
        max_output_tokens=gemini.max_output_tokens,
        base_url=resolved.gemini_base_url,
        max_history_tokens=gemini.max_history_tokens,
    )


def image_request(images: ImageSettings, prompt: ImagePrompt, *, seed: int, source_request: str) -> ImageRequest:
    """What to ask the image backend for ``prompt``, drawn with the ``images`` settings.

    The negative prompt is the one Gemini wrote followed by the settings' own.

    Args:
        seed: this picture's seed (-1: the backend picks one).
        source_request: what the user typed (the saved file's name comes from it).
    """
    from g2d_tui.services.images.base import ImageRequest

    return ImageRequest(
        prompt=prompt.prompt,
        negative_prompt=", ".join(part for part in (prompt.negative_prompt, images.negative_prompt) if part),
        width=images.width,
        height=images.height,
        steps=images.steps,
        guidance_scale=images.guidance_scale,
        seed=seed,
        source_request=source_request,
    )


def picture_record(image: GeneratedImage, path: Path, *, request: str = "", digest: str = "", size: int | None = None, parent_id: int | None = None) -> Picture:
    """The gallery's record of ``image`` saved at ``path``: only what the backend applied.

    ``digest`` and ``size`` are those of the saved file; read from it when not given.
    """
    from g2d_tui.conversation import Picture

    if not digest or size is None:
        data = Path(path).read_bytes()
        digest, size = hashlib.sha256(data).hexdigest(), len(data)

    def used(name: str, value):
        return value if image.honoured(name) else None

    asked = image.request
    return Picture(
        path=str(path),
        prompt=asked.prompt,
        negative_prompt=used("negative_prompt", asked.negative_prompt) or "",
        seed=used("seed", image.seed),
        steps=used("steps", asked.steps),
        guidance_scale=used("guidance_scale", asked.guidance_scale),
        width=image.width,
        height=image.height,
        model=image.model,
        backend=image.backend,
        provider=image.provider,
        request=request,
        sha256=digest,
        file_size=size,
        parent_id=parent_id,
        created=image.created,
    )
