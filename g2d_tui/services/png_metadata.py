"""The PNG a picture is saved as: its pixels as received, plus honest generation metadata.

The ``parameters`` text chunk follows AUTOMATIC1111's format, which Civitai and most image
browsers parse::

    <prompt>
    Negative prompt: <negative prompt>
    Steps: 30, CFG scale: 7, Seed: 42, Size: 1024x1024, Model: <id>, Backend: huggingface, Provider: fal-ai

It lists only what the backend really applied (``GeneratedImage.used``), so a Gemini
picture claims no steps, CFG or seed. An AUTOMATIC1111 picture keeps the server's own
infotext. Line breaks in a prompt are collapsed and values with commas or colons are
quoted as A1111 does, so a prompt can never forge a ``Negative prompt:`` or ``Steps:``
field. Text chunks the service put in the PNG (ComfyUI's ``prompt``/``workflow``) are
kept unless they are oversized.

Synchronous and CPU-bound: run through ``asyncio.to_thread`` (``image_store.save`` does).
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from typing import TYPE_CHECKING

from g2d_tui.services.image_codec import PNG_SIGNATURE, decoded
from g2d_tui.services.sanitize import clean

if TYPE_CHECKING:
    from g2d_tui.services.images.base import GeneratedImage

SOFTWARE = "g2d-tui"
MAX_TEXT_CHUNK = 64 * 1024
"""Bytes of text one metadata chunk may hold (after decompression); bigger ones from a
service are not copied into saved files, and ours are never that big."""
# Chunks we write; copies already in a received PNG are dropped so readers see ours.
_OUR_KEYWORDS = frozenset({b"parameters", b"Software", b"g2d-request"})
_TEXT_KINDS = frozenset({b"tEXt", b"iTXt", b"zTXt"})
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\v\f]+")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become spaces, other control characters shown."""
    return clean(_LINE_BREAKS.sub(" ", text or "")).replace("\n", " ").strip()


def quote(value: object) -> str:
    """A value for the ``key: value, ...`` line, quoted as A1111 does when it has a comma or colon."""
    text = one_line(str(value))
    if "," not in text and ":" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def prompt_line(text: str) -> str:
    """The prompt as the first line of a ``parameters`` text: one line that cannot pass for another field."""
    line = one_line(text)
    if line.lower().startswith("negative prompt:"):
        # A1111's parser takes a line starting so as the negative prompt: a zero-width
        # space keeps this one the prompt, and keeps the words as they were.
        line = "\u200b" + line
    return line


def _number(value: float) -> str:
    """``7.0`` -> ``"7"``, ``7.5`` -> ``"7.5"``: as A1111 writes CFG scale."""
    return f"{value:g}"


def parameters_text(image: GeneratedImage) -> str:
    """The A1111-style ``parameters`` text of ``image``: only what was really used."""
    if image.infotext:
        return _with_backend(image.infotext, image)
    request = image.request
    lines = [prompt_line(request.prompt)]
    if request.negative_prompt and image.honoured("negative_prompt"):
        lines.append(f"Negative prompt: {one_line(request.negative_prompt)}")
    fields: list[tuple[str, object]] = []
    if image.honoured("steps"):
        fields.append(("Steps", int(request.steps)))
    if image.sampler:
        fields.append(("Sampler", image.sampler))
    if image.honoured("guidance_scale"):
        fields.append(("CFG scale", _number(request.guidance_scale)))
    if image.honoured("seed") and image.seed >= 0:
        fields.append(("Seed", image.seed))
    fields.append(("Size", f"{image.width}x{image.height}"))
    if image.model:
        fields.append(("Model", image.model))
    if image.backend:
        fields.append(("Backend", image.backend))
    if image.provider:
        fields.append(("Provider", image.provider))
    if image.parent:
        fields.append(("Edited from", image.parent))
    lines.append(", ".join(f"{name}: {quote(value)}" for name, value in fields))
    return "\n".join(lines)


def _with_backend(infotext: str, image: GeneratedImage) -> str:
    """The server's infotext, cleaned, naming the backend on its last line (A1111 parsers
    read unknown ``key: value`` pairs there and keep them)."""
    text = clean(infotext).strip()
    if image.backend and f"Backend: {image.backend}" not in text:
        text = f"{text}, Backend: {quote(image.backend)}" if text else f"Backend: {quote(image.backend)}"
    return text


def _text_chunk(keyword: str, text: str) -> bytes:
    """A ``tEXt`` chunk, or an uncompressed ``iTXt`` one when ``text`` is not Latin-1."""
    text = text.replace("\0", "")
    key = keyword.encode("latin-1")
    try:
        kind, body = b"tEXt", key + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError:
        # keyword, compression flag + method, language tag, translated keyword, text
        kind, body = b"iTXt", key + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    return _chunk(kind, body)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """(type, raw chunk) pairs of a well-formed PNG, or None if it is not one."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return None
        chunks.append((kind, data[pos:end]))
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return None
    return chunks


def _keyword(raw_chunk: bytes) -> bytes:
    return raw_chunk[8:-4].split(b"\0", 1)[0]


def _inflates_within(data: bytes, limit: int) -> bool:
    """Whether zlib ``data`` inflates to at most ``limit`` bytes (decompressing no more)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return False
    return len(out) <= limit


def _text_fits(kind: bytes, raw_chunk: bytes) -> bool:
    """A service's text chunk small enough to copy: raw length, and inflated length when compressed."""
    body = raw_chunk[8:-4]
    if len(body) > MAX_TEXT_CHUNK:
        return False
    if kind == b"zTXt":
        _, _, rest = body.partition(b"\0")
        return _inflates_within(rest[1:], MAX_TEXT_CHUNK)
    if kind == b"iTXt":
        _, _, rest = body.partition(b"\0")
        if rest[:1] == b"\x01":  # compressed: skip flag, method, language tag, translated keyword
            parts = rest[2:].split(b"\0", 2)
            return len(parts) == 3 and _inflates_within(parts[2], MAX_TEXT_CHUNK)
    return True


def _texts(image: GeneratedImage, present: set[bytes]) -> dict[str, str]:
    texts = {
        "parameters": parameters_text(image),
        "Software": SOFTWARE,
        "g2d-request": one_line(image.request.source_request or image.request.prompt),
    }
    for keyword, text in image.service_texts:
        if keyword.encode("latin-1", "replace") not in present and keyword not in texts:
            texts[keyword] = text
    return {key: value for key, value in texts.items() if len(value.encode("utf-8")) <= MAX_TEXT_CHUNK}


def png_with_parameters(image: GeneratedImage) -> bytes:
    """PNG bytes of ``image`` carrying its generation parameters as text chunks.

    A received PNG keeps its pixel data byte for byte (the chunks are spliced in before
    the first IDAT) and its own text chunks up to :data:`MAX_TEXT_CHUNK`; JPEG/WebP are
    decoded and re-encoded as PNG.

    Raises:
        ImageError: ``images.corrupt`` / ``images.too_large`` if the data cannot be used.
    """
    chunks = _png_chunks(image.data)
    if chunks is None:
        return _reencode(image.data, _texts(image, set()))
    kept: list[tuple[bytes, bytes]] = []
    present: set[bytes] = set()
    for kind, raw in chunks:
        if kind in _TEXT_KINDS:
            keyword = _keyword(raw)
            if keyword in _OUR_KEYWORDS or not _text_fits(kind, raw):
                continue
            present.add(keyword)
        kept.append((kind, raw))
    ours = b"".join(_text_chunk(key, value) for key, value in _texts(image, present).items())
    out = [PNG_SIGNATURE]
    inserted = False
    for kind, raw in kept:
        if kind == b"IDAT" and not inserted:
            out.append(ours)
            inserted = True
        out.append(raw)
    if inserted:
        return b"".join(out)
    return _reencode(image.data, _texts(image, set()))


def _reencode(data: bytes, texts: dict[str, str]) -> bytes:
    from PIL import ImageOps, PngImagePlugin

    with decoded(data) as image:  # the checked decode (size limits, CRCs)
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
        info = PngImagePlugin.PngInfo()
        for key, value in texts.items():
            info.add_text(key, value.replace("\0", ""))
        out = io.BytesIO()
        upright.save(out, format="PNG", pnginfo=info, compress_level=6)
        return out.getvalue()
