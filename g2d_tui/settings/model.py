"""The settings model: sections of typed fields, each with its limits.

Plain dataclasses plus a small field table instead of pydantic: loading must keep the
good values of a damaged file and report each bad one, and startup time is measured.
"""

from __future__ import annotations

import math
import os
import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from g2d_tui.services.images import defaults

DEFAULT_CHAT_MODEL = "gemini-flash-latest"
DEFAULT_IMAGE_MODEL = defaults.HF_MODEL
DEFAULT_HF_BASE_URL = defaults.HF_ROUTER_URL
IMAGE_BACKENDS = defaults.BACKENDS
THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "tokyo-night", "monokai", "dracula", "catppuccin-mocha", "ansi-dark")


@dataclass(frozen=True)
class Limit:
    """What a field accepts: numeric bounds or a fixed set of choices."""

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


def _default_save_dir() -> str:
    from g2d_tui.paths import default_save_dir, display_path

    return display_path(default_save_dir())  # "~/…" keeps the file portable across machines


@dataclass(slots=True)
class GeminiSettings:
    api_key: str = field(default="", repr=False)
    """Google AI Studio key; GEMINI_API_KEY / GOOGLE_API_KEY take precedence."""
    model: str = DEFAULT_CHAT_MODEL
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 40
    max_output_tokens: int = 8192
    max_prompt_tokens: int = 300
    """Token budget for the Stable Diffusion prompts that /imagine asks Gemini for."""
    max_history_tokens: int = 0
    """Budget for the earlier turns sent with a message; 0 = the model's input limit."""
    base_url: str = ""
    """Empty means the official endpoint (or GOOGLE_GEMINI_BASE_URL)."""


@dataclass(slots=True)
class HuggingFaceImageSettings:
    """``[images.huggingface]``: the Inference Providers router."""

    api_key: str = field(default="", repr=False)
    """Hugging Face token; HF_TOKEN takes precedence."""
    model: str = DEFAULT_IMAGE_MODEL
    provider: str = defaults.HF_PROVIDER
    """``auto`` (the first live provider of the model) or a provider name."""
    base_url: str = DEFAULT_HF_BASE_URL
    """The router root; G2D_HF_BASE_URL takes precedence."""
    hub_url: str = defaults.HF_HUB_URL
    """Where ``auto`` looks up the model's providers; G2D_HF_HUB_URL takes precedence."""


@dataclass(slots=True)
class GeminiImageSettings:
    """``[images.gemini]``: native image output with the chat's Gemini key."""

    model: str = defaults.GEMINI_IMAGE_MODEL


@dataclass(slots=True)
class A1111Settings:
    """``[images.a1111]``: an AUTOMATIC1111 or Forge server started with ``--api``."""

    base_url: str = defaults.A1111_URL
    """G2D_A1111_URL takes precedence."""
    model: str = ""
    """A checkpoint title; empty = the server's current checkpoint."""
    sampler: str = ""
    """Empty = the server's default sampler."""


@dataclass(slots=True)
class ComfyUISettings:
    """``[images.comfyui]``: a ComfyUI server."""

    base_url: str = defaults.COMFYUI_URL
    """G2D_COMFYUI_URL takes precedence."""
    workflow: str = ""
    """An API-format workflow file with placeholders; empty = the built-in one."""
    checkpoint: str = ""
    """Empty = the first checkpoint the server lists."""


@dataclass(slots=True)
@defaults.with_generation_parameters(after="auto_save")
class ImageSettings:
    """``[images]``: the backend and what every backend shares; each backend's own values
    live in its sub-table, so switching backends never loses another one's."""

    backend: str = defaults.DEFAULT_BACKEND
    save_dir: str = field(default_factory=_default_save_dir)
    auto_save: bool = True
    # Here: width, height, steps, guidance_scale, negative_prompt, seed (see the decorator).
    huggingface: HuggingFaceImageSettings = field(default_factory=HuggingFaceImageSettings)
    gemini: GeminiImageSettings = field(default_factory=GeminiImageSettings)
    a1111: A1111Settings = field(default_factory=A1111Settings)
    comfyui: ComfyUISettings = field(default_factory=ComfyUISettings)

    @property
    def model(self) -> str:
        """The active backend's model (for ComfyUI: its checkpoint); what the model picker shows."""
        section = getattr(self, self.backend, self.huggingface)
        return getattr(section, MODEL_FIELD.get(self.backend, "model"))

    @model.setter
    def model(self, value: str) -> None:
        section = getattr(self, self.backend, self.huggingface)
        setattr(section, MODEL_FIELD.get(self.backend, "model"), value)


def image_section(backend: str) -> str:
    """The dotted path of a backend's sub-table: ``images.<backend>``."""
    return f"images.{backend}"


MODEL_FIELD = {"comfyui": "checkpoint"}
"""The field of a backend's sub-table that the model picker edits, when not ``model``."""
IMAGE_SUBSECTIONS: dict[str, type] = {
    "huggingface": HuggingFaceImageSettings,
    "gemini": GeminiImageSettings,
    "a1111": A1111Settings,
    "comfyui": ComfyUISettings,
}
"""The backends' sub-tables of ``[images]``, by backend name."""


@dataclass(slots=True)
class UISettings:
    language: str = ""
    """Empty follows the system locale."""
    theme: str = "textual-dark"
    resume: bool = True
    """Start where the last session left off (the last conversation); off: a new one each time."""


LIMITS: dict[tuple[str, str], Limit] = {
    ("gemini", "temperature"): Limit(0, 2),
    ("gemini", "top_p"): Limit(0, 1),
    ("gemini", "top_k"): Limit(1, 1000),
    ("gemini", "max_output_tokens"): Limit(1, 1_000_000),
    ("gemini", "max_prompt_tokens"): Limit(16, 2000),
    ("gemini", "max_history_tokens"): Limit(0, 10_000_000),
    ("images", "backend"): Limit(choices=IMAGE_BACKENDS),
    ("images", "width"): Limit(64, 2048),
    ("images", "height"): Limit(64, 2048),
    ("images", "steps"): Limit(1, 150),
    ("images", "guidance_scale"): Limit(0, 30),
    ("images", "seed"): Limit(-1, 2**32 - 1),
    (image_section("huggingface"), "provider"): Limit(choices=defaults.HF_PROVIDERS),
    ("ui", "language"): Limit(choices=("", "en", "pt-BR")),
}

SECRET_FIELDS = {("gemini", "api_key"), (image_section("huggingface"), "api_key")}


@dataclass(slots=True)
class Settings:
    gemini: GeminiSettings = field(default_factory=GeminiSettings)
    images: ImageSettings = field(default_factory=ImageSettings)
    ui: UISettings = field(default_factory=UISettings)
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. ``settings = "f2,ctrl+comma"``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def copy(self) -> Settings:
        return copy.deepcopy(self)


SECTIONS: dict[str, type] = {
    "gemini": GeminiSettings,
    "images": ImageSettings,
    "ui": UISettings,
    **{image_section(backend): table for backend, table in IMAGE_SUBSECTIONS.items()},
}
"""Every table of values by its dotted path (``images.huggingface`` is ``[images.huggingface]``)."""
_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}


def scalar_fields(section: str) -> list[str]:
    """The value fields of ``section`` (its sub-tables left out)."""
    return [item.name for item in fields(SECTIONS[section]) if str(item.type) in _SCALARS]


def section_of(settings: Settings, section: str) -> Any:
    """The object holding ``section``'s values: ``section_of(s, "images.a1111") is s.images.a1111``."""
    target: Any = settings
    for part in section.split("."):
        target = getattr(target, part)
    return target


def field_type(section: str, name: str) -> type:
    """The Python type of ``section.name`` (int, float, bool or str)."""
    for item in fields(SECTIONS[section]):
        if item.name == name and str(item.type) in _SCALARS:
            return _SCALARS[str(item.type)]
    raise KeyError(f"{section}.{name}")


class FieldError(ValueError):
    """A value that does not fit its field; ``key`` is an i18n key, ``params`` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def message(self) -> str:
        from g2d_tui.i18n import t

        return t(self.key, **self.params)


def coerce(section: str, name: str, value: Any) -> Any:
    """Check ``value`` for ``section.name`` and return it in the field's type.

    Strings are parsed (the settings form hands us text); TOML values must already
    have the right type, except that an int is accepted where a float is expected.

    Raises:
        FieldError: the value's type or range is wrong.
    """
    kind = field_type(section, name)
    limit = LIMITS.get((section, name), Limit())
    if kind is bool:
        if isinstance(value, bool):
            result: Any = value
        elif isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            result = value.strip().lower() == "true"
        else:
            raise FieldError("settings.error.bool")
    elif kind in (int, float):
        if isinstance(value, bool):
            raise FieldError("settings.error.number")
        if isinstance(value, str):
            text = value.strip().replace(",", ".") if kind is float else value.strip()
            try:
                value = kind(text)
            except ValueError:
                raise FieldError("settings.error.int" if kind is int else "settings.error.number") from None
        if kind is int and not isinstance(value, int):
            raise FieldError("settings.error.int")
        if not isinstance(value, (int, float)):
            raise FieldError("settings.error.number")
        out_of_range = FieldError("settings.error.range", minimum=_num(limit.minimum), maximum=_num(limit.maximum))
        try:
            result = kind(value)
        except OverflowError:  # an int too big for a float: out of any range
            raise out_of_range from None
        if not math.isfinite(result):  # NaN compares False with every bound: reject it here
            raise out_of_range
        if limit.minimum is not None and result < limit.minimum or limit.maximum is not None and result > limit.maximum:
            raise out_of_range
    else:
        if not isinstance(value, str):
            raise FieldError("settings.error.text")
        result = value.strip()
        if limit.choices is not None and result not in limit.choices:
            raise FieldError("settings.error.choice", choices=", ".join(repr(c) for c in limit.choices))
    return result


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Environment:
    """Values that the environment supplies over the file (never written back)."""

    gemini_api_key: str = field(default="", repr=False)
    gemini_key_var: str = ""
    hf_token: str = field(default="", repr=False)
    gemini_base_url: str = ""
    hf_base_url: str = ""
    """G2D_HF_BASE_URL: the router root (an old value ending in /hf-inference still works)."""
    hf_hub_url: str = ""
    a1111_url: str = ""
    comfyui_url: str = ""

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Environment:
        from g2d_tui.services import secrets

        env = os.environ if environ is None else environ
        gemini_var = next((var for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY") if env.get(var, "").strip()), "")
        secrets.remember(env.get(gemini_var, "") if gemini_var else "", env.get("HF_TOKEN", ""))
        return cls(
            gemini_api_key=env.get(gemini_var, "").strip() if gemini_var else "",
            gemini_key_var=gemini_var,
            hf_token=env.get("HF_TOKEN", "").strip(),
            gemini_base_url=env.get("GOOGLE_GEMINI_BASE_URL", "").strip(),
            hf_base_url=env.get("G2D_HF_BASE_URL", "").strip(),
            hf_hub_url=env.get("G2D_HF_HUB_URL", "").strip(),
            a1111_url=env.get("G2D_A1111_URL", "").strip(),
            comfyui_url=env.get("G2D_COMFYUI_URL", "").strip(),
        )


@dataclass(frozen=True)
class Effective:
    """What the services use: the file's settings with the environment laid over them."""

    gemini_api_key: str = field(repr=False)
    gemini_base_url: str
    hf_token: str = field(repr=False)
    hf_base_url: str
    """The router root."""
    hf_hub_url: str = defaults.HF_HUB_URL
    a1111_url: str = defaults.A1111_URL
    comfyui_url: str = defaults.COMFYUI_URL


def router_root(url: str) -> str:
    """The router root of a Hugging Face URL: earlier versions stored the hf-inference
    endpoint (``https://router.huggingface.co/hf-inference``) where the root now goes."""
    url = url.strip().rstrip("/")
    return url.removesuffix("/hf-inference").rstrip("/")


def effective(settings: Settings, env: Environment) -> Effective:
    images = settings.images
    return Effective(
        gemini_api_key=env.gemini_api_key or settings.gemini.api_key,
        gemini_base_url=env.gemini_base_url or settings.gemini.base_url,
        hf_token=env.hf_token or images.huggingface.api_key,
        hf_base_url=router_root(env.hf_base_url or images.huggingface.base_url) or DEFAULT_HF_BASE_URL,
        hf_hub_url=(env.hf_hub_url or images.huggingface.hub_url).strip() or defaults.HF_HUB_URL,
        a1111_url=(env.a1111_url or images.a1111.base_url).strip() or defaults.A1111_URL,
        comfyui_url=(env.comfyui_url or images.comfyui.base_url).strip() or defaults.COMFYUI_URL,
    )


def missing_keys(settings: Settings, env: Environment) -> list[str]:
    """Catalogue keys of the notes for keys that are configured neither in ``settings`` nor
    in the environment. Only what the selected image backend needs counts."""
    resolved, missing = effective(settings, env), []
    if not resolved.gemini_api_key:
        missing.append("keys.missing_gemini")
    if settings.images.backend == "huggingface" and not resolved.hf_token:
        missing.append("keys.missing_hf")
    return missing
