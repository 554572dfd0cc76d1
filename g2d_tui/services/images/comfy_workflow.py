"""ComfyUI workflows in API format: the built-in text-to-image graph, and the user's own.

A user's workflow is the JSON ComfyUI saves with "Export (API)": ``{node id: {"class_type":
..., "inputs": {...}}}``. Where g2d-tui should put its values, the workflow says so with
placeholders in string values:

==========================  ==================================  =======
placeholder                 replaced by                         type
==========================  ==================================  =======
``{{prompt}}``              the prompt Gemini wrote             text
``{{negative_prompt}}``     the negative prompt                 text
``{{seed}}``                the seed (a new random one for -1)  integer
``{{steps}}``               sampling steps                      integer
``{{cfg}}``                 CFG / guidance scale                number
``{{width}}``, ``{{height}}``  picture size                     integer
``{{checkpoint}}``          the ``checkpoint`` setting          text
==========================  ==================================  =======

A string that is exactly one placeholder (``"seed": "{{seed}}"``) becomes the typed value;
a placeholder inside longer text (``"text": "masterpiece, {{prompt}}"``) is replaced as text.
Spaces inside the braces are allowed. An unknown ``{{name}}`` is an error, so a typo does
not silently reach the server. Fields without a placeholder keep the workflow's own values,
and the picture's metadata then does not claim them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from g2d_tui.services.images.base import ImageError
from g2d_tui.services.images.common import exact_name, name

MAX_WORKFLOW_BYTES = 2 * 1024 * 1024
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")
FIELDS_OF = {
    "prompt": None,
    "negative_prompt": "negative_prompt",
    "seed": "seed",
    "steps": "steps",
    "cfg": "guidance_scale",
    "width": "width",
    "height": "height",
    "checkpoint": None,
}
"""Placeholder -> the request field it applies (None: always used, or not a request field)."""


@dataclass(frozen=True)
class Workflow:
    """A workflow ready to queue, and what it applied."""

    graph: dict[str, Any]
    used: frozenset[str]
    """Request fields the workflow took from us."""
    checkpoint: str
    """The checkpoint it loads, when one can be read from it."""


def builtin(checkpoint: str, values: dict[str, Any]) -> Workflow:
    """CheckpointLoaderSimple -> CLIPTextEncode x2 -> EmptyLatentImage -> KSampler -> VAEDecode -> SaveImage."""
    graph = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": values["prompt"], "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": values["negative_prompt"], "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": values["width"], "height": values["height"], "batch_size": 1}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": values["seed"], "steps": values["steps"], "cfg": values["cfg"],
                "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
                "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "g2d-tui", "images": ["8", 0]}},
    }
    return Workflow(graph, frozenset(field for field in FIELDS_OF.values() if field), checkpoint)


BUILTIN_SAMPLER = "euler"


def read(path: str) -> dict[str, Any]:
    """The API-format workflow in the file at ``path`` (synchronous: run in a thread).

    Raises:
        ImageError: ``images.workflow_unreadable`` / ``images.workflow_invalid``.
    """
    file = Path(path).expanduser()
    shown = name(str(path))
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_WORKFLOW_BYTES + 1)
    except OSError as error:
        raise ImageError("images.workflow_unreadable", path=shown, reason=name(error.strerror or type(error).__name__)) from None
    if len(raw) > MAX_WORKFLOW_BYTES:
        raise ImageError("images.workflow_invalid", path=shown, reason="> 2 MB")
    try:
        graph = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImageError("images.workflow_invalid", path=shown, reason=name(f"JSON: {error}")) from None
    except RecursionError:
        raise ImageError("images.workflow_invalid", path=shown, reason="JSON nested too deep") from None
    if isinstance(graph, dict) and "nodes" in graph and "links" in graph:
        raise ImageError("images.workflow_not_api", path=shown)
    if not isinstance(graph, dict) or not graph or not all(
        isinstance(node, dict) and isinstance(node.get("class_type"), str) and isinstance(node.get("inputs"), dict)
        for node in graph.values()
    ):
        raise ImageError("images.workflow_invalid", path=shown, reason="{id: {class_type, inputs}}")
    return graph


def fill(graph: dict[str, Any], values: dict[str, Any], path: str = "") -> Workflow:
    """``graph`` with its placeholders replaced by ``values`` (see the module docstring).

    Raises:
        ImageError: ``images.workflow_invalid`` for an unknown placeholder.
    """
    found: set[str] = set()

    def substitute(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [substitute(item) for item in value]
        if not isinstance(value, str) or "{{" not in value:
            return value
        for match in PLACEHOLDER.finditer(value):
            if match[1] not in values:
                raise ImageError("images.workflow_invalid", path=name(path), reason=name("{{" + match[1] + "}}"))
            found.add(match[1])
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return values[whole[1]]
        return PLACEHOLDER.sub(lambda match: str(values[match[1]]), value)

    try:
        filled = substitute(graph)
    except RecursionError:
        raise ImageError("images.workflow_invalid", path=name(path), reason="JSON nested too deep") from None
    used = frozenset(FIELDS_OF[placeholder] for placeholder in found if FIELDS_OF.get(placeholder))
    return Workflow(filled, used, _checkpoint_of(filled))


def _checkpoint_of(graph: dict[str, Any]) -> str:
    for node in graph.values():
        if isinstance(node, dict) and node.get("class_type") == "CheckpointLoaderSimple":
            checkpoint = node.get("inputs", {}).get("ckpt_name")
            if isinstance(checkpoint, str):
                return name(checkpoint)
    return ""


def checkpoints_of(object_info: Any) -> list[str]:
    """Checkpoint names from ``GET /object_info/CheckpointLoaderSimple`` (old and new combo forms)."""
    node = object_info.get("CheckpointLoaderSimple") if isinstance(object_info, dict) else None
    required = node.get("input", {}).get("required", {}) if isinstance(node, dict) else {}
    spec = required.get("ckpt_name") if isinstance(required, dict) else None
    options: Any = None
    if isinstance(spec, list) and spec:
        if isinstance(spec[0], list):  # [[names...], {...}]
            options = spec[0]
        elif spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):  # ["COMBO", {"options": [...]}]
            options = spec[1].get("options")
    if not isinstance(options, list):
        return []
    return [option for option in map(exact_name, options) if option]
