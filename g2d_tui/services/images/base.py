"""What every image backend takes and returns, independent of the service behind it.

No Textual and no httpx/Pillow here: the UI imports these types at startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from g2d_tui.services.errors import ServiceError
from g2d_tui.services.images import defaults

if TYPE_CHECKING:
    from collections.abc import Callable

ProgressKind = Literal[
    "sending", "loading", "retrying_black", "downloading", "checking", "queued", "running", "step", "provider"
]
"""What a running generation is doing:

- ``sending``: the request is on its way;
- ``loading``: the model is warming up (``wait``, ``waited``, ``limit``);
- ``provider``: ``provider`` names the Hugging Face provider that was picked;
- ``queued``: the job waits on the server (``position``: 1 = next, 0 = unknown);
- ``running``: the server works on it and says nothing more;
- ``step``: sampling step ``step`` of ``total``;
- ``downloading``: the picture is arriving;
- ``retrying_black``: a safety checker sent a black frame, trying once more;
- ``checking``: the bytes are in and being decoded (work, not waiting).
"""


@dataclass(frozen=True)
@defaults.with_generation_parameters(after="prompt")
class ImageRequest:
    """One text-to-image generation, as the user (and Gemini) asked for it.

    Its generation parameters (width, height, steps, guidance_scale, negative_prompt,
    seed) and their defaults are those of :data:`defaults.GENERATION_PARAMETERS`; a seed of
    -1 makes the backend pick a concrete one and send it, so it can be recorded.
    """

    prompt: str
    # Here: the generation parameters (see the decorator).
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
    backend: str = ""
    """The backend that drew it (``huggingface``, ``gemini``, ``a1111``, ``comfyui``)."""
    provider: str = ""
    """For Hugging Face: the inference provider that drew it (``hf-inference``, ``fal-ai``...)."""
    used: frozenset[str] | None = None
    """The request fields (of :data:`defaults.REQUEST_FIELDS`) the backend really applied;
    None means all of them. Metadata claims only these."""
    sampler: str = ""
    """The sampler, when the backend said which one it used."""
    infotext: str = field(default="", repr=False)
    """The server's own A1111 ``parameters`` text (AUTOMATIC1111/Forge), cleaned."""
    service_texts: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """PNG text chunks to write when the received PNG lacks them, e.g. ComfyUI's
    ``("prompt", <workflow JSON>)``."""
    parent: str = ""
    """For an edited picture: the one it was made from (its file name or id)."""

    def honoured(self, name: str) -> bool:
        """Whether request field ``name`` was applied (see :attr:`used`)."""
        return self.used is None or name in self.used

    @property
    def ignored(self) -> frozenset[str]:
        """Request fields that were set but not applied: the card can say so."""
        return frozenset() if self.used is None else defaults.REQUEST_FIELDS - self.used


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
    position: int = 0
    """For ``"queued"``: place in the server's queue, 1 = next; 0 = not known."""
    step: int = 0
    """For ``"step"``: the sampling step reached."""
    total: int = 0
    """For ``"step"``: the number of steps."""
    provider: str = ""
    """For ``"provider"``: the Hugging Face provider that was picked."""


class ImageError(ServiceError):
    """A generation or save failure; ``key`` is an ``images.*`` or ``store.*`` message."""


class ImageBackend(Protocol):
    """A text-to-image service."""

    name: str
    honours: frozenset[str]
    """The request fields (of :data:`defaults.REQUEST_FIELDS`) this backend can apply;
    the settings screen greys out the others."""

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

    async def list_models(self) -> list[str]:
        """Model (or checkpoint) names for the model picker; raises :class:`ImageError`."""
        ...


def local_now() -> datetime:
    """The current time, aware, in the local time zone."""
    return datetime.now().astimezone()
