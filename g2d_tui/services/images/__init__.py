"""Image generation backends, by name.

Importing this package is cheap: backends import httpx/Pillow only when they work.
"""

from __future__ import annotations

from typing import Any

from g2d_tui.services.images.base import (
    GeneratedImage,
    ImageBackend,
    ImageError,
    ImageRequest,
    Progress,
)
from g2d_tui.services.images.hf import HFConfig, HuggingFaceBackend

BACKENDS: dict[str, type] = {"huggingface": HuggingFaceBackend}
"""Backend classes by the name used in settings."""


def make_backend(name: str, config: Any) -> ImageBackend:
    """Build the backend called ``name`` from its config object.

    Raises:
        ImageError: ``images.unknown_backend`` for a name not in :data:`BACKENDS`.
    """
    try:
        backend_class = BACKENDS[name]
    except KeyError:
        raise ImageError("images.unknown_backend", name=name) from None
    return backend_class(config)


__all__ = [
    "BACKENDS",
    "GeneratedImage",
    "HFConfig",
    "HuggingFaceBackend",
    "ImageBackend",
    "ImageError",
    "ImageRequest",
    "Progress",
    "make_backend",
]
