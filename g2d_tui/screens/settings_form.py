"""The settings form's field table: which widget edits which setting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "secret", "number", "bool", "choice", "folder", "chat_model", "image_model"]


@dataclass(frozen=True)
class FormField:
    section: str
    name: str
    kind: Kind

    @property
    def widget_id(self) -> str:
        return f"{self.section}--{self.name.replace('_', '-')}"

    @property
    def label_key(self) -> str:
        return f"settings.field.{self.section}.{self.name}"

    @property
    def hint_key(self) -> str:
        return f"settings.hint.{self.section}.{self.name}"


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
        FormField("images", "api_key", "secret"),
        FormField("images", "model", "image_model"),
        FormField("images", "base_url", "text"),
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
