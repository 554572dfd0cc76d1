"""Default values shared by the image request types and the settings, defined once.

Plain constants (and the one helper that declares the shared generation parameters),
nothing heavy imported: the settings model and the UI read them at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

BACKENDS: tuple[str, ...] = ("huggingface", "gemini", "a1111", "comfyui")
"""Image backends by the name used in settings, in the order the settings screen lists them."""
DEFAULT_BACKEND = "huggingface"

# -- shared generation parameters ----------------------------------------------------
WIDTH = 1024
HEIGHT = 1024
STEPS = 30
GUIDANCE_SCALE = 7.0
SEED = -1
"""-1 = a new random seed for every picture (the backend records the one it used)."""
NEGATIVE_PROMPT = ""

GENERATION_PARAMETERS: dict[str, tuple[str, object]] = {
    "width": ("int", WIDTH),
    "height": ("int", HEIGHT),
    "steps": ("int", STEPS),
    "guidance_scale": ("float", GUIDANCE_SCALE),
    "negative_prompt": ("str", NEGATIVE_PROMPT),
    "seed": ("int", SEED),
}
"""The generation parameters every backend may honour: name -> (annotation, default).

The one place they are declared: :class:`~g2d_tui.services.images.base.ImageRequest` and the
``[images]`` settings get them as fields through :func:`with_generation_parameters`. ``seed``
-1 picks a new random seed for every picture."""

REQUEST_FIELDS: frozenset[str] = frozenset(GENERATION_PARAMETERS)
"""The request fields a backend may honour or ignore (the prompt is always used)."""


def with_generation_parameters(*, after: str) -> Callable[[type[T]], type[T]]:
    """A class decorator, applied under ``@dataclass``: declares :data:`GENERATION_PARAMETERS`
    as fields of the class, in their order, right after its field ``after``.

    Both the frozen request and the editable settings need these fields, and a dataclass
    cannot inherit fields from a base that differs from it in frozenness.
    """

    def declare(cls: type[T]) -> type[T]:
        own = cls.__dict__.get("__annotations__", {})
        if after not in own:
            raise TypeError(f"{cls.__name__} has no field {after!r} to put the generation parameters after")
        annotations: dict[str, object] = {}
        for name, annotation in own.items():
            annotations[name] = annotation
            if name == after:
                for parameter, (kind, default) in GENERATION_PARAMETERS.items():
                    annotations[parameter] = kind
                    setattr(cls, parameter, default)
        cls.__annotations__ = annotations
        return cls

    return declare

# -- Hugging Face -------------------------------------------------------------------
HF_MODEL = "stabilityai/stable-diffusion-xl-base-1.0"
HF_ROUTER_URL = "https://router.huggingface.co"
HF_HUB_URL = "https://huggingface.co"
HF_PROVIDER = "auto"
HF_PROVIDERS: tuple[str, ...] = ("auto", "hf-inference", "fal-ai", "nscale", "replicate", "together", "wavespeed", "zai-org")
"""``auto`` plus the providers whose text-to-image request shapes we speak
(those of huggingface_hub's ``inference/_providers``)."""
HF_CURATED_MODELS: tuple[str, ...] = (
    HF_MODEL,
    "Lykon/dreamshaper-8",
    "SG161222/Realistic_Vision_V5.1_noVAE",
    "nitrosocke/Ghibli-Diffusion",
    "stablediffusionapi/anything-v5",
    "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "black-forest-labs/FLUX.1-schnell",
    "black-forest-labs/FLUX.1-dev",
    "stabilityai/stable-diffusion-3.5-large",
)

# -- Gemini native image output -----------------------------------------------------------
GEMINI_IMAGE_MODEL = "gemini-2.5-flash-image"
GEMINI_IMAGE_MODELS: tuple[str, ...] = (GEMINI_IMAGE_MODEL, "gemini-3-pro-image-preview")
"""First-run choices; the model picker lists the key's own image-capable models."""

# -- local servers ----------------------------------------------------------------------
A1111_URL = "http://127.0.0.1:7860"
COMFYUI_URL = "http://127.0.0.1:8188"
