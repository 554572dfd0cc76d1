"""The models a key can chat with, listed once per endpoint and key."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from g2d_tui.services.sanitize import clean_line

MODEL_NAME_LIMIT = 120
MAX_MODELS = 1000
"""Listing stops here: the real list has a few dozen, and a server answering with
100,000 must not keep the app paging (or its picker drawing) for minutes."""
PAGE_SIZE = 1000


@dataclass(frozen=True)
class ModelInfo:
    name: str
    """Without the "models/" prefix."""
    display_name: str
    input_token_limit: int | None
    output_token_limit: int | None


# Models listed once per (endpoint, key hash) for the whole session.
_cache: dict[tuple[str, str], list[ModelInfo]] = {}


def cache_key(base_url: str, api_key: str) -> tuple[str, str]:
    return base_url, hashlib.sha256(api_key.strip().encode()).hexdigest()


def cached(key: tuple[str, str]) -> list[ModelInfo] | None:
    models = _cache.get(key)
    return None if models is None else list(models)


def remember(key: tuple[str, str], models: list[ModelInfo]) -> None:
    _cache[key] = list(models)


def input_limit(key: tuple[str, str], model: str) -> int | None:
    """The input token limit of ``model`` as the listing said, if it was listed."""
    for info in _cache.get(key, ()):
        if info.name == model:
            return info.input_token_limit
    return None


def model_info(model: Any) -> ModelInfo | None:
    """A listed SDK model as a :class:`ModelInfo` (names cleaned), or None if it cannot chat."""
    if "generateContent" not in (model.supported_actions or []) or not model.name:
        return None
    name = clean_line(model.name.removeprefix("models/"), MODEL_NAME_LIMIT)
    display = clean_line(model.display_name or name, MODEL_NAME_LIMIT)
    return ModelInfo(name, display, _positive(model.input_token_limit), _positive(model.output_token_limit))


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def sort_key(model: ModelInfo) -> tuple:
    """Gemini first, ``-latest`` aliases first, then newest version, stable before preview."""
    name = model.name
    version = re.search(r"-(\d+(?:\.\d+)?)", name)
    return (
        not name.startswith("gemini"),
        not name.endswith("-latest"),
        -float(version[1]) if version else 0.0,
        any(tag in name for tag in ("preview", "exp")),
        name,
    )
