"""The settings form's field table: which widget edits which setting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from g2d_tui.services.images.defaults import REQUEST_FIELDS
from g2d_tui.settings.model import image_section

Kind = Literal["text", "secret", "number", "bool", "choice", "folder", "chat_model", "image_model"]


@dataclass(frozen=True)
class FormField:
    section: str
    """The settings table: ``gemini``, ``images``, ``images.huggingface``..."""
    name: str
    kind: Kind

    @property
    def widget_id(self) -> str:
        return f"{self.section.replace('.', '-')}--{self.name.replace('_', '-')}"

    @property
    def label_key(self) -> str:
        return f"settings.field.{self.section}.{self.name}"

    @property
    def hint_key(self) -> str:
        return f"settings.hint.{self.section}.{self.name}"

    @property
    def placeholder_key(self) -> str:
        return f"settings.placeholder.{self.section}.{self.name}"

    @property
    def backend(self) -> str | None:
        """The image backend whose own table this field is in (shown only while it is selected)."""
        head, _, rest = self.section.partition(".")
        return (rest or None) if head == "images" else None

    @property
    def request_field(self) -> str | None:
        """The shared generation parameter this field sets, which a backend may ignore."""
        return self.name if self.section == "images" and self.name in REQUEST_FIELDS else None


_HF, _GEMINI, _A1111, _COMFYUI = (image_section(name) for name in ("huggingface", "gemini", "a1111", "comfyui"))

FORM: dict[str, tuple[FormField, ...]] = {
    "gemini": (
        FormField("gemini", "api_key", "secret"),
        FormField("gemini", "model", "chat_model"),
        FormField("gemini", "temperature", "number"),
        FormField("gemini", "top_p", "number"),
        FormField("gemini", "top_k", "number"),
        FormField("gemini", "max_output_tokens", "number"),
        FormField("gemini", "max_prompt_tokens", "number"),
        FormField("gemini", "max_history_tokens", "number"),
        FormField("gemini", "base_url", "text"),
    ),
    "images": (
        FormField("images", "backend", "choice"),
        FormField(_HF, "api_key", "secret"),
        FormField(_HF, "model", "image_model"),
        FormField(_HF, "provider", "choice"),
        FormField(_HF, "base_url", "text"),
        FormField(_HF, "hub_url", "text"),
        FormField(_GEMINI, "model", "image_model"),
        FormField(_A1111, "base_url", "text"),
        FormField(_A1111, "model", "image_model"),
        FormField(_A1111, "sampler", "text"),
        FormField(_COMFYUI, "base_url", "text"),
        FormField(_COMFYUI, "workflow", "text"),
        FormField(_COMFYUI, "checkpoint", "image_model"),
        FormField("images", "save_dir", "folder"),
        FormField("images", "auto_save", "bool"),
        FormField("images", "width", "number"),
        FormField("images", "height", "number"),
        FormField("images", "steps", "number"),
        FormField("images", "guidance_scale", "number"),
        FormField("images", "negative_prompt", "text"),
        FormField("images", "seed", "number"),
    ),
    "ui": (
        FormField("ui", "language", "choice"),
        FormField("ui", "theme", "choice"),
        FormField("ui", "resume", "bool"),
    ),
}

ALL_FIELDS: tuple[FormField, ...] = tuple(item for group in FORM.values() for item in group)
