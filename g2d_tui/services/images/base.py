"""What every image backend takes and returns, independent of the service behind it.

No Textual and no httpx/Pillow here: the UI imports these types at startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from g2d_tui.services.errors import ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable

ProgressKind = Literal["sending", "loading", "retrying_black", "downloading", "checking"]


@dataclass(frozen=True)
class ImageRequest:
    """One text-to-image generation, as the user (and Gemini) asked for it."""

    prompt: str
    negative_prompt: str = ""
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance_scale: float = 7.0
    seed: int = -1
    """-1 = random: the backend picks a concrete seed and sends it, so it can be recorded."""
    source_request: str = ""
    """What the user typed after ``/imagine`` (used for the file name slug)."""


@dataclass(frozen=True)
class GeneratedImage:
    """An image as received from a backend, validated but not decoded for display."""

    data: bytes
    """The bytes as received (PNG/JPEG/WebP)."""
    mime: str
    width: int
    height: int
    seed: int
    """The seed actually used."""
    model: str
    request: ImageRequest
    created: datetime
    """Aware, local time."""
    preview: Any = field(default=None, compare=False, repr=False)
    """A small decoded RGB copy (PIL image) when the backend had one; see image_codec.PREVIEW_BOX."""


@dataclass(frozen=True)
class Progress:
    """A step of a running generation, for the UI to show."""

    kind: ProgressKind
    wait: float = 0.0
    """For ``"loading"``: seconds we will wait before the next try."""
    waited: float = 0.0
    """Total seconds waited for the cold start so far."""
    limit: float = 0.0
    """The bounded total wait."""


class ImageError(ServiceError):
    """A generation or save failure; ``key`` is an ``images.*`` or ``store.*`` message."""


class ImageBackend(Protocol):
    """A text-to-image service."""

    name: str

    async def generate(
        self,
        request: ImageRequest,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> GeneratedImage:
        """Generate one image; raises :class:`ImageError` on any failure."""
        ...

    async def aclose(self) -> None:
        """Release network resources; the backend may be used again afterwards."""
        ...


def local_now() -> datetime:
    """The current time, aware, in the local time zone."""
    return datetime.now().astimezone()
