"""Image generation backends, built from the settings.

Importing this package is cheap: each backend module (and httpx, Pillow, google-genai)
is imported only when that backend is built or used.

- :func:`backend_from_settings` builds the backend the settings select (app and CLI);
- :func:`list_models` lists what the model picker offers for a backend;
- :func:`honours` tells which request fields a backend applies (the settings screen
  greys out the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from g2d_tui.services.images import defaults
from g2d_tui.services.images.base import (
    GeneratedImage,
    ImageBackend,
    ImageError,
    ImageRequest,
    Progress,
)

if TYPE_CHECKING:
    from g2d_tui.settings.model import Environment, Settings

BACKEND_CLASSES: dict[str, tuple[str, str]] = {
    "huggingface": ("g2d_tui.services.images.hf", "HuggingFaceBackend"),
    "gemini": ("g2d_tui.services.images.gemini_image", "GeminiImageBackend"),
    "a1111": ("g2d_tui.services.images.a1111", "A1111Backend"),
    "comfyui": ("g2d_tui.services.images.comfyui", "ComfyUIBackend"),
}
"""Where each backend class lives, by the name used in settings."""

HONOURS: dict[str, frozenset[str]] = {
    "huggingface": defaults.REQUEST_FIELDS,
    "gemini": frozenset({"width", "height"}),
    "a1111": defaults.REQUEST_FIELDS,
    "comfyui": defaults.REQUEST_FIELDS,
}
"""Request fields each backend can apply, without importing it (the settings screen asks
at startup); each class's ``honours`` says the same, and a test keeps them in step."""


def backend_class(name: str) -> type:
    """The class of backend ``name``.

    Raises:
        ImageError: ``images.unknown_backend`` for a name not in :data:`BACKEND_CLASSES`.
    """
    import importlib

    try:
        module, attribute = BACKEND_CLASSES[name]
    except KeyError:
        raise ImageError("images.unknown_backend", name=name) from None
    return getattr(importlib.import_module(module), attribute)


def honours(backend: str | ImageBackend) -> frozenset[str]:
    """The request fields (of :data:`defaults.REQUEST_FIELDS`) ``backend`` (a name or an
    instance) applies; an unknown name applies none."""
    if isinstance(backend, str):
        return HONOURS.get(backend, frozenset())
    return frozenset(getattr(backend, "honours", defaults.REQUEST_FIELDS))


def backend_from_settings(settings: Settings, environment: Environment) -> ImageBackend:
    """The backend ``settings.images.backend`` names, configured from its sub-table with
    the environment laid over it (tokens, URLs).

    Raises:
        ImageError: ``images.unknown_backend``.
    """
    from g2d_tui.settings.model import effective

    images, resolved = settings.images, effective(settings, environment)
    name = images.backend
    if name == "huggingface":
        from g2d_tui.services.images.hf import HFConfig, HuggingFaceBackend

        hf = images.huggingface
        return HuggingFaceBackend(HFConfig(
            api_key=resolved.hf_token, model=hf.model, provider=hf.provider,
            base_url=resolved.hf_base_url, hub_url=resolved.hf_hub_url,
        ))
    if name == "gemini":
        from g2d_tui.services.images.gemini_image import GeminiImageBackend, GeminiImageConfig

        return GeminiImageBackend(GeminiImageConfig(
            api_key=resolved.gemini_api_key, model=images.gemini.model, base_url=resolved.gemini_base_url,
        ))
    if name == "a1111":
        from g2d_tui.services.images.a1111 import A1111Backend, A1111Config

        return A1111Backend(A1111Config(base_url=resolved.a1111_url, model=images.a1111.model, sampler=images.a1111.sampler))
    if name == "comfyui":
        from g2d_tui.services.images.comfyui import ComfyUIBackend, ComfyUIConfig

        comfy = images.comfyui
        return ComfyUIBackend(ComfyUIConfig(base_url=resolved.comfyui_url, workflow=comfy.workflow, checkpoint=comfy.checkpoint))
    raise ImageError("images.unknown_backend", name=name)


def make_backend(name: str, config: Any) -> ImageBackend:
    """Build the backend called ``name`` from its config object (tests, scripts).

    Raises:
        ImageError: ``images.unknown_backend`` for a name not in :data:`BACKEND_CLASSES`.
    """
    return backend_class(name)(config)


async def list_models(backend: ImageBackend) -> list[str]:
    """What the model picker offers for ``backend``: Hugging Face's curated list, the
    key's Gemini image models, A1111's checkpoint titles, ComfyUI's checkpoints.

    Raises:
        ImageError: the server could not be asked (down, bad key...).
    """
    return await backend.list_models()


def model_choices(settings: Settings) -> list[str]:
    """The model picker's entries before any server was asked: known names for the
    backend, with the current value first when it is not among them."""
    images = settings.images
    known: tuple[str, ...] = {
        "huggingface": defaults.HF_CURATED_MODELS,
        "gemini": defaults.GEMINI_IMAGE_MODELS,
    }.get(images.backend, ())
    names = list(known)
    if images.model not in names:
        names.insert(0, images.model)
    return names


__all__ = [
    "BACKEND_CLASSES",
    "GeneratedImage",
    "HONOURS",
    "ImageBackend",
    "ImageError",
    "ImageRequest",
    "Progress",
    "backend_class",
    "backend_from_settings",
    "honours",
    "list_models",
    "make_backend",
    "model_choices",
]
