"""The services the subcommands use, built from the same settings and environment as the app's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.services.settings_services import gemini_config

if TYPE_CHECKING:
    from g2d_tui.services.gemini import ImagePrompt
    from g2d_tui.services.images.base import GeneratedImage, ImageBackend
    from g2d_tui.settings.model import Environment, Settings

__all__ = ["build_image_backend", "gemini_config", "record_picture"]


def build_image_backend(settings: Settings, environment: Environment) -> ImageBackend:
    """The image backend ``settings`` name, as the app builds it.

    Raises:
        ImageError: ``images.unknown_backend`` for a backend name nobody provides.
    """
    from g2d_tui.services.images import backend_from_settings

    return backend_from_settings(settings, environment)


def record_picture(path: Path, image: GeneratedImage, prompt: ImagePrompt) -> None:
    """Add a picture saved at ``path`` to the gallery, with its recipe (``prompt`` is what
    Gemini wrote, or the request as typed with ``--no-expand``). A store that cannot be
    opened or written is skipped: the file is saved, which is what the command promised."""
    from g2d_tui.paths import history_path
    from g2d_tui.services.errors import ServiceError
    from g2d_tui.services.history import HistoryStore
    from g2d_tui.services.settings_services import picture_record

    try:
        store = HistoryStore.open(history_path())
    except ServiceError:
        return
    try:
        store.add_picture(picture_record(image, path, request=image.request.source_request or prompt.prompt))
    except ServiceError:
        pass
    finally:
        store.close()
