"""What the settings screen says under each field and above the form: the environment
variable that overrides a field, a key that would go out over plain http, a shared
parameter the selected backend ignores, and the keys still missing. No widgets here."""

from __future__ import annotations

from typing import Any

from g2d_tui.i18n import t
from g2d_tui.screens.settings_form import FormField
from g2d_tui.services.images import honours
from g2d_tui.services.sanitize import clean_line
from g2d_tui.services.transport_safety import key_exposed
from g2d_tui.settings.model import Environment, image_section

KEYED_URLS = {
    ("gemini", "base_url"): "gemini",
    (image_section("huggingface"), "base_url"): "huggingface",
    (image_section("huggingface"), "hub_url"): "huggingface",
}
"""URL fields whose server gets a key (the catalogue's ``transport.key.<name>``)."""

MISSING_NOTES = {"keys.missing_gemini": "settings.missing.gemini", "keys.missing_hf": "settings.missing.huggingface"}
"""The settings screen's wording of each missing key (it is edited right here)."""
KEY_FIELDS = frozenset({"gemini--api-key", "images-huggingface--api-key", "images--backend"})
"""The fields that decide which keys are missing."""


def env_override(environment: Environment, item: FormField) -> tuple[str, str]:
    """(value, variable) of the environment variable that overrides ``item``, if set."""
    env = environment
    overrides = {
        ("gemini", "api_key"): (env.gemini_api_key, env.gemini_key_var),
        ("gemini", "base_url"): (env.gemini_base_url, "GOOGLE_GEMINI_BASE_URL"),
        ("huggingface", "api_key"): (env.hf_token, "HF_TOKEN"),
        ("huggingface", "base_url"): (env.hf_base_url, "G2D_HF_BASE_URL"),
        ("huggingface", "hub_url"): (env.hf_hub_url, "G2D_HF_HUB_URL"),
        ("a1111", "base_url"): (env.a1111_url, "G2D_A1111_URL"),
        ("comfyui", "base_url"): (env.comfyui_url, "G2D_COMFYUI_URL"),
    }
    value, var = overrides.get((item.backend or item.section, item.name), ("", ""))
    return (value, var) if value else ("", "")


def exposed_url(environment: Environment, item: FormField, value: Any) -> str:
    """The URL ``item`` sends a key to in clear text (the environment's when it overrides
    ``value``), or "" when ``item`` is no such URL or the key would be safe."""
    if (item.section, item.name) not in KEYED_URLS:
        return ""
    url = env_override(environment, item)[0] or str(value)
    return url if key_exposed(url) else ""


def ignored_by_backend(item: FormField, backend: str) -> bool:
    """Whether ``item`` is a shared generation parameter that ``backend`` does not apply."""
    return item.request_field is not None and item.request_field not in honours(backend)


def hint(item: FormField, value: Any, *, environment: Environment, backend: str, language_from_cli: str | None) -> str:
    """The line under ``item``, which holds ``value`` now, with ``backend`` selected."""
    url = exposed_url(environment, item, value)
    if url:
        key = t(f"transport.key.{KEYED_URLS[(item.section, item.name)]}")
        return t("transport.hint", key=key, url=clean_line(url, 80))
    _, var = env_override(environment, item)
    if var:
        return t("settings.hint.env_override", var=var)
    if (item.section, item.name) == ("ui", "language") and language_from_cli:
        return t("settings.hint.language_from_cli", language=language_from_cli)
    if ignored_by_backend(item, backend):
        return t("settings.hint.ignored_by", backend=t(f"settings.backend.{backend}"))
    return t(item.hint_key)


def missing_text(missing: list[str]) -> str:
    """Each missing key (catalogue keys of ``app.missing_keys``) and where to get it, one a line."""
    return "\n".join(t(MISSING_NOTES[key]) for key in missing)
