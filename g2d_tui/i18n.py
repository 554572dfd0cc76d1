"""Message catalogue: ``t("chat.cancelled")`` in the current language, English fallback.

Catalogues are TOML files under ``locales/<lang>/``; every file in a language folder is
merged and nested tables become dotted keys. TOML keeps the catalogue readable for
translators, needs no build step (unlike gettext .mo files) and is read with the stdlib.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "pt-BR": "Português (Brasil)"}
DEFAULT_LANGUAGE = "en"

_current = DEFAULT_LANGUAGE


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of one language, keyed by dotted name."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / language
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            messages.update(_flatten(tomllib.load(file)))
    return messages


def normalize_language(code: str | None) -> str | None:
    """Map ``pt_BR.UTF-8``, ``pt-br``, ``pt`` or ``en_US`` to a supported code, else None."""
    if not code:
        return None
    base = code.split(".")[0].split("@")[0].replace("_", "-").strip()
    for supported in LANGUAGES:
        if base.lower() == supported.lower():
            return supported
    prefix = base.split("-")[0].lower()
    for supported in LANGUAGES:
        if supported.split("-")[0].lower() == prefix:
            return supported
    return None


def system_language(environ: dict[str, str] | None = None) -> str | None:
    """The language the POSIX locale variables ask for, if we support it."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        for candidate in value.split(":"):
            language = normalize_language(candidate)
            if language:
                return language
    return None


def resolve_language(*choices: str | None, environ: dict[str, str] | None = None) -> str:
    """First supported of ``choices`` (CLI flag, setting), then the system locale, then English."""
    for choice in choices:
        language = normalize_language(choice)
        if language:
            return language
    return system_language(environ) or DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    global _current
    _current = normalize_language(language) or DEFAULT_LANGUAGE


def get_language() -> str:
    return _current


def _message(key: str) -> str | None:
    text = catalogue(_current).get(key)
    return catalogue(DEFAULT_LANGUAGE).get(key) if text is None else text


def plural_form(count: int) -> str:
    """The CLDR plural category of ``count`` in the current language: English says "one"
    only of 1; Portuguese also of 0 (as gettext's pt_BR rule). Nothing here counts 0, so a
    "one" form may say "one" in words."""
    if _current == "pt-BR":
        return "one" if count in (0, 1) else "other"
    return "one" if count == 1 else "other"


def t(key: str, /, **fmt: object) -> str:
    """Translate ``key`` into the current language and format it with ``fmt``.

    A key missing in the current language falls back to English; a key missing
    everywhere returns the key itself, so a gap shows up instead of crashing. A message
    that depends on ``count`` is a table of plural forms (``one``, ``other``).
    """
    text = _message(key)
    if text is None and "count" in fmt:
        count = fmt["count"]
        # A count that is not a whole number (a float, digits already formatted) is plural.
        text = _message(f"{key}.{plural_form(count) if type(count) is int else 'other'}")
    if text is None:
        text = key
    if fmt:
        try:
            return text.format(**resolve(fmt))
        except (KeyError, IndexError, ValueError):
            return text
    return text


def resolve(params: dict[str, object]) -> dict[str, object]:
    """Parameters with their nested messages (anything with ``message()``) in the current language."""
    return {name: value.message() if callable(getattr(value, "message", None)) else value for name, value in params.items()}


def format_number(value: float, decimals: int = 0) -> str:
    """Format a number with the current language's separators (1,234.5 vs 1.234,5)."""
    text = f"{value:,.{decimals}f}"
    if _current == "pt-BR":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text
