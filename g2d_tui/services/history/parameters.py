"""Generation recipes from PNG text: AUTOMATIC1111 ``parameters`` and ComfyUI ``prompt``.

Pure functions, no I/O: give them the chunk's text, get a dict with the same keys for
both formats (missing values are None or ``""``). Every string in the result is already
cleaned (:func:`~g2d_tui.services.sanitize.clean` for prompts, ``clean_line`` for the
rest), and numbers are range-checked, so the result can be stored and shown as it is.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from g2d_tui.services.sanitize import clean, clean_line

MAX_TEXT = 256 * 1024
MAX_VALUE = 4096
MAX_LINK_DEPTH = 32
_SEED_RANGE = (-1, 2**64 - 1)
_STEPS_RANGE = (1, 10_000)
_CFG_RANGE = (0.0, 100.0)
_SIZE_RANGE = (1, 1 << 20)

# AUTOMATIC1111's own pattern (modules/infotext_utils.py): ``Key: value`` or ``Key: "quoted, value"``.
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")
_NEGATIVE = "Negative prompt:"
SAMPLERS = ("KSampler", "KSamplerAdvanced")
_LOADER_INPUTS = ("ckpt_name", "unet_name", "model_name")


def empty_recipe() -> dict[str, Any]:
    return {
        "prompt": "", "negative_prompt": "", "steps": None, "guidance_scale": None, "seed": None,
        "width": None, "height": None, "model": "", "sampler": "", "extra": {},
    }


def parse_parameters(text: str) -> dict[str, Any]:
    """Parse an A1111-style ``parameters`` text (ours, AUTOMATIC1111's, Forge's...).

    Lines up to ``Negative prompt:`` are the prompt, the lines from there the negative
    prompt; the last line, if it holds at least three ``Key: value`` pairs, the settings.

    Returns:
        ``prompt``, ``negative_prompt``, ``steps``, ``guidance_scale``, ``seed``, ``width``,
        ``height``, ``model``, ``sampler`` and ``extra`` (every settings pair, cleaned).
    """
    recipe = empty_recipe()
    lines = str(text)[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    settings = ""
    if len(lines) > 1 and len(_PARAM.findall(lines[-1])) >= 3:
        settings = lines.pop()
    prompt: list[str] = []
    negative: list[str] = []
    for line in lines:
        line = line.strip()
        if not negative and line.startswith(_NEGATIVE):
            negative.append(line[len(_NEGATIVE):].strip())
        elif negative:
            negative.append(line)
        else:
            prompt.append(line)
    recipe["prompt"] = clean("\n".join(prompt).strip())
    recipe["negative_prompt"] = clean("\n".join(negative).strip())
    extra: dict[str, str] = {}
    for key, value in _PARAM.findall(settings):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _unquote(value)
        extra.setdefault(clean_line(key, 80), clean_line(value, MAX_VALUE))
    recipe["extra"] = extra
    recipe["steps"] = _integer(extra.get("Steps"), _STEPS_RANGE)
    recipe["guidance_scale"] = _number(extra.get("CFG scale"), _CFG_RANGE)
    recipe["seed"] = _integer(extra.get("Seed"), _SEED_RANGE)
    recipe["sampler"] = extra.get("Sampler", "")
    recipe["model"] = extra.get("Model") or extra.get("Model hash", "")
    size = _SIZE.match(extra.get("Size", ""))
    if size:
        recipe["width"] = _integer(size[1], _SIZE_RANGE)
        recipe["height"] = _integer(size[2], _SIZE_RANGE)
    return recipe


def parse_comfy_prompt(text: str) -> dict[str, Any] | None:
    """Parse ComfyUI's ``prompt`` chunk (the API-format graph); None if it is not one.

    Finds the first sampler (KSampler, KSamplerAdvanced), the CLIPTextEncode texts that
    feed its positive and negative inputs (through conditioning nodes), its seed, steps,
    CFG and sampler, the checkpoint its model comes from, and the EmptyLatentImage size.
    """
    if len(text) > MAX_TEXT * 4:
        return None
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(graph, dict):
        return None
    nodes = {str(key): node for key, node in graph.items() if isinstance(node, dict) and isinstance(node.get("inputs"), dict)}
    sampler = next((node for node in nodes.values() if node.get("class_type") in SAMPLERS), None)
    if sampler is None:
        return None
    inputs = sampler["inputs"]
    recipe = empty_recipe()
    recipe["prompt"] = clean("\n".join(_texts(nodes, inputs.get("positive"))).strip())
    recipe["negative_prompt"] = clean("\n".join(_texts(nodes, inputs.get("negative"))).strip())
    recipe["seed"] = _integer(_value(nodes, inputs.get("seed", inputs.get("noise_seed"))), _SEED_RANGE)
    recipe["steps"] = _integer(_value(nodes, inputs.get("steps")), _STEPS_RANGE)
    recipe["guidance_scale"] = _number(_value(nodes, inputs.get("cfg")), _CFG_RANGE)
    recipe["sampler"] = clean_line(_value(nodes, inputs.get("sampler_name")) or "", 80)
    recipe["model"] = clean_line(_checkpoint(nodes, inputs.get("model")) or "", MAX_VALUE)
    latent = _node(nodes, inputs.get("latent_image"))
    if latent is not None and latent.get("class_type") == "EmptyLatentImage":
        recipe["width"] = _integer(_value(nodes, latent["inputs"].get("width")), _SIZE_RANGE)
        recipe["height"] = _integer(_value(nodes, latent["inputs"].get("height")), _SIZE_RANGE)
    return recipe


# -- ComfyUI graph walking --------------------------------------------------------------


def _node(nodes: dict[str, dict], link: object) -> dict | None:
    """The node a link (``["6", 0]``) points to."""
    if isinstance(link, list) and link and isinstance(link[0], (str, int)):
        return nodes.get(str(link[0]))
    return None


def _value(nodes: dict[str, dict], value: object, depth: int = 0) -> object:
    """A literal input, or the value of the primitive node a link points to."""
    node = _node(nodes, value)
    if node is None:
        return value
    if depth >= MAX_LINK_DEPTH:
        return None
    for name in ("value", "seed", "noise_seed", "text", "string", "int", "float"):
        if name in node["inputs"]:
            return _value(nodes, node["inputs"][name], depth + 1)
    return None


def _texts(nodes: dict[str, dict], link: object) -> list[str]:
    """The prompt texts of the text encoders that feed a conditioning input."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(link: object, depth: int) -> None:
        node = _node(nodes, link)
        if node is None or id(node) in seen or depth > MAX_LINK_DEPTH:
            return
        seen.add(id(node))
        inputs = node["inputs"]
        if "CLIPTextEncode" in str(node.get("class_type", "")):
            for name in ("text", "text_g", "text_l"):
                text = _value(nodes, inputs.get(name), depth)
                if isinstance(text, str) and text.strip() and text.strip() not in found:
                    found.append(text.strip())
            return
        for name, value in inputs.items():
            if name.startswith("conditioning") or name in ("positive", "negative"):
                walk(value, depth + 1)

    walk(link, 0)
    return found


def _checkpoint(nodes: dict[str, dict], link: object) -> str | None:
    """The checkpoint a model input comes from (through LoRA and patch nodes)."""
    node = _node(nodes, link)
    for _ in range(MAX_LINK_DEPTH):
        if node is None:
            break
        for name in _LOADER_INPUTS:
            value = _value(nodes, node["inputs"].get(name))
            if isinstance(value, str):
                return value
        node = _node(nodes, node["inputs"].get("model"))
    for node in nodes.values():  # not linked as expected: any loader will do
        value = node["inputs"].get("ckpt_name")
        if isinstance(value, str):
            return value
    return None


# -- values -----------------------------------------------------------------------------


def _unquote(value: str) -> str:
    try:
        result = json.loads(value)
    except ValueError:
        return value[1:-1]
    return result if isinstance(result, str) else value[1:-1]


def _integer(value: object, bounds: tuple[int, int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d{1,20}", value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if bounds[0] <= value <= bounds[1] else None


def _number(value: object, bounds: tuple[float, float]) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return number if bounds[0] <= number <= bounds[1] else None
