"""The Hugging Face router's wire shapes as the fake speaks them: the routes, a recorded
request (with its parameters wherever a provider's shape puts them) and a reply."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

_MODEL_PATH = re.compile(r"^/hf-inference/models/([^/]+)/([^/?#]+)/?$")
_HUB_PATH = re.compile(r"^/api/models/([^/]+)/([^/?#]+)/?$")
MAX_DEFAULT_SIDE = 1024
TEXT_TO_IMAGE_PROVIDERS = ("hf-inference", "fal-ai", "nscale", "replicate", "together", "wavespeed", "zai-org")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    """Lowercase header names."""
    json: Any
    """The parsed JSON body, or None if it was not JSON."""
    body: bytes = b""
    received_at: float = field(default_factory=time.perf_counter)
    """When it had been read (``time.perf_counter``): benchmarks time clients by it."""

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def model(self) -> str | None:
        match = _MODEL_PATH.match(self.route)
        return f"{match.group(1)}/{match.group(2)}" if match else None

    @property
    def provider(self) -> str:
        """The router path's first part: ``hf-inference``, ``fal-ai``... (``api`` for the Hub)."""
        return self.route.lstrip("/").split("/", 1)[0]

    @property
    def parameters(self) -> dict[str, Any]:
        """The generation parameters, wherever this provider's shape puts them."""
        if not isinstance(self.json, dict):
            return {}
        if isinstance(self.json.get("parameters"), dict):
            return self.json["parameters"]
        if isinstance(self.json.get("input"), dict):
            return self.json["input"]
        params = dict(self.json)
        if isinstance(params.get("image_size"), dict):
            params.update(params.pop("image_size"))
        if isinstance(params.get("size"), str) and "x" in params["size"]:
            width, _, height = params.pop("size").partition("x")
            params.update(width=int(width), height=int(height))
        return params


@dataclass(frozen=True)
class Reply:
    """What a behaviour sends back."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None
    """Announced length when it must differ from ``len(body)`` (cut connections)."""
    trickle: float = 0.0
    """Send the body one byte per ``trickle`` seconds."""
    failing: str | None = None
    """For job providers: accept, then fail the job with this message."""


def _json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, "application/json", json.dumps(payload).encode())
