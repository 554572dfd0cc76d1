"""The services the subcommands use, built from the same settings and environment as the app's.

Two seams for work that lands separately:

* :func:`build_image_backend` is the one place the image backend is made. When
  ``g2d_tui.services.images.backend_from_settings(settings, environment)`` exists, its
  body becomes that call.
* :func:`record_picture` is where a saved picture would go into the history store; it
  does nothing yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from g2d_tui.services.gemini import GeminiConfig, ImagePrompt
    from g2d_tui.services.images.base import GeneratedImage, ImageBackend
    from g2d_tui.settings.model import Environment, Settings


def gemini_config(settings: Settings, environment: Environment, *, model: str | None = None) -> GeminiConfig:
    """The chat service's configuration, as ``G2DApp.gemini_config`` makes it; ``model`` overrides the setting."""
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
    )


def build_image_backend(settings: Settings, environment: Environment) -> ImageBackend:
    """The image backend ``settings`` name, as ``G2DApp.image_backend`` builds it.

    Raises:
        ImageError: ``images.unknown_backend`` for a backend name nobody provides.
    """
    from g2d_tui.services.images import make_backend
    from g2d_tui.services.images.hf import HFConfig
    from g2d_tui.settings.model import effective

    resolved = effective(settings, environment)
    config = HFConfig(api_key=resolved.hf_token, model=settings.images.model, base_url=resolved.hf_base_url)
    return make_backend(settings.images.backend, config)


def record_picture(path: Path, image: GeneratedImage, prompt: ImagePrompt) -> None:
    """Seam for the history store: a picture was saved at ``path`` (``prompt`` is what
    Gemini wrote, or the request as typed with ``--no-expand``). Nothing is recorded yet."""
