"""Small pieces every backend uses: seeds, recognising and checking image bytes, names."""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
import re
from typing import TYPE_CHECKING

from g2d_tui.services.images.base import ImageError, Progress
from g2d_tui.services.sanitize import clean_line, is_clean

if TYPE_CHECKING:
    from collections.abc import Callable

    from g2d_tui.services.image_codec import ImageInfo

IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/webp"})
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
NAME_LIMIT = 120
EXACT_NAME_LIMIT = 1000
"""Characters of a model/checkpoint/provider name from a server kept for display."""
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[^,]*)?;base64,", re.IGNORECASE)


def concrete_seed(seed: int, *, avoid: int | None = None) -> int:
    """``seed``, or a random one for -1 (different from ``avoid``), so it can be recorded."""
    if seed >= 0:
        return int(seed)
    while True:
        value = random.randrange(2**32)
        if value != avoid:
            return value


def is_webp(body: bytes) -> bool:
    return body[:4] == b"RIFF" and body[8:12] == b"WEBP"


def looks_like_image(body: bytes, mime: str = "") -> bool:
    """Whether ``body`` claims to be (or starts like) a PNG, JPEG or WebP."""
    return mime in IMAGE_MIMES or body.startswith(_MAGIC) or is_webp(body)


def check_image_bytes(body: bytes, mime: str = "") -> None:
    """Refuse what is not even meant to be an image before decoding it.

    Raises:
        ImageError: ``images.not_an_image`` for another declared type (an HTML page),
            ``images.corrupt`` for bytes that only claim to be an image.
    """
    if looks_like_image(body, mime if mime in IMAGE_MIMES else ""):
        return
    if mime.startswith("image/") or not mime:
        raise ImageError("images.corrupt")
    raise ImageError("images.not_an_image", mime=name(mime))


async def checked(body: bytes, report: Callable[[Progress], None]) -> ImageInfo:
    """Decode ``body`` in a thread (size limits, completeness, black frames, preview).

    Raises:
        ImageError: ``images.corrupt`` / ``images.too_large``.
    """
    from g2d_tui.services import image_codec

    report(Progress("checking"))
    return await asyncio.to_thread(image_codec.inspect, body)


def decode_base64(text: object) -> bytes:
    """Bytes of a base64 string (a ``data:image/...;base64,`` prefix allowed).

    Raises:
        ImageError: ``images.corrupt`` when it is not base64.
    """
    if not isinstance(text, str) or not text:
        raise ImageError("images.corrupt")
    match = _DATA_URL.match(text)
    if match:
        text = text[match.end() :]
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        raise ImageError("images.corrupt") from None


def is_data_url(text: str) -> bool:
    return bool(_DATA_URL.match(text))


def name(text: object) -> str:
    """A model, checkpoint, sampler or provider name from outside: one clean, short line."""
    return clean_line("" if text is None else text, NAME_LIMIT)


def exact_name(text: object) -> str | None:
    """A name from a server that is sent back to it (a checkpoint, a sampler): kept exactly
    when it is safe to show as it is, else None (such a name is left out of pickers)."""
    if isinstance(text, str) and text and len(text) <= EXACT_NAME_LIMIT and is_clean(text) and text.isprintable():
        return text
    return None


def no_progress(_progress: Progress) -> None:
    """The ``on_progress`` of a caller that does not listen."""
