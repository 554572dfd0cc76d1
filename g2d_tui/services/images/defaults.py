"""Default values shared by the image request types and the settings, defined once.

Plain constants, nothing imported: the settings model and the UI read them at startup.
"""

from __future__ import annotations

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

REQUEST_FIELDS: frozenset[str] = frozenset({"negative_prompt", "width", "height", "steps", "guidance_scale", "seed"})
"""The request fields a backend may honour or ignore (the prompt is always used)."""

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
