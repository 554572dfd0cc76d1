"""The /imagine prompt: what Gemini is asked, and what is kept of its answer."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from g2d_tui.services.sanitize import clean_line


@dataclass(frozen=True)
class ImagePrompt:
    prompt: str
    negative_prompt: str


IMAGE_PROMPT_INSTRUCTION = """\
You are an expert Stable Diffusion prompt engineer. Turn the user's request into a \
prompt for a text-to-image model.
- Write in ENGLISH, whatever language the request is in.
- "prompt": an elaborate, comma-separated list of descriptive phrases: the subject and \
its details first, then setting, art style or medium, lighting, colour palette, camera \
or composition, and quality tags (e.g. highly detailed, sharp focus, masterpiece).
- "negative_prompt": comma-separated things to avoid (e.g. blurry, low quality, \
deformed, extra fingers, watermark, text), adapted to the request.
- Keep the prompt within {max_tokens} tokens (about {max_words} words); no sentences, \
no explanations, no quotes.
Answer only with the JSON object."""

IMAGE_PROMPT_SCHEMA = {
    "type": "OBJECT",
    "properties": {"prompt": {"type": "STRING"}, "negative_prompt": {"type": "STRING"}},
    "required": ["prompt", "negative_prompt"],
}


def estimate_tokens(text: str) -> int:
    """Token estimate: one token per 4 characters.

    That is Google's documented rule of thumb for Gemini tokens; it errs on the long
    side for comma-separated English tag lists, so trimmed prompts stay within budget.
    """
    return math.ceil(len(text) / 4)


def trim_prompt(text: str, max_tokens: int) -> str:
    """Cut ``text`` to ``max_tokens`` (see :func:`estimate_tokens`) at a comma, else a word."""
    text = text.strip()
    if estimate_tokens(text) <= max_tokens:
        return text
    limit = max(max_tokens, 1) * 4
    head = text[: limit + 1]  # +1: a boundary right after the limit still counts
    comma = head.rfind(",")
    if comma > limit // 2:
        cut = head[:comma]
    else:
        space = head.rfind(" ")
        cut = head[:space] if space > 0 else text[:limit]
    return cut.rstrip(" ,;.")


def parse_image_prompt(text: str | None) -> ImagePrompt | None:
    """The ``{prompt, negative_prompt}`` object in ``text``, or None when unusable.

    Both come back on one line with no control characters: they are shown, and written
    into the PNG's ``parameters`` text, where a line break would start a new field.
    """
    if not text:
        return None
    text = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced[1]
    try:
        data = json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start : end + 1]) if 0 <= start < end else None
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    prompt, negative = data.get("prompt"), data.get("negative_prompt")
    if not isinstance(prompt, str) or not isinstance(negative, str):
        return None
    prompt, negative = clean_line(prompt), clean_line(negative)
    return ImagePrompt(prompt, negative) if prompt else None
