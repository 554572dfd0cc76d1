"""Read a PNG's size and text chunks without decoding a pixel.

The file is walked chunk by chunk (image data is skipped with a seek), so a 50 MB PNG
costs a few reads. Every limit is explicit: a text chunk larger than
:data:`MAX_TEXT_CHUNK` is ignored, compressed text is inflated to at most
:data:`MAX_TEXT_CHUNK`, and the walk stops after :data:`MAX_CHUNKS` chunks. A file that
is not a PNG, is cut short, or whose header or text chunks fail their CRC raises
:class:`UnreadablePng`. The text is returned as found: the caller cleans it.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_CHUNK = 1 << 20
MAX_TEXT_TOTAL = 8 << 20
MAX_CHUNKS = 200_000
MAX_DIMENSION = 1 << 20
_TEXT_KINDS = (b"tEXt", b"zTXt", b"iTXt")


class UnreadablePng(Exception):
    """Not a PNG, truncated, or damaged where we looked."""


@dataclass
class PngInfo:
    width: int
    height: int
    texts: dict[str, str] = field(default_factory=dict)
    """Keyword -> text of the tEXt/zTXt/iTXt chunks asked for (the first of each keyword)."""


def read_png_info(path: Path, keywords: frozenset[str] | None = None) -> PngInfo:
    """The size and text chunks of the PNG at ``path``.

    Args:
        keywords: only keep these keywords (all if None).

    Raises:
        UnreadablePng: not a PNG, truncated, or a CRC mismatch in IHDR or a text chunk.
        OSError: the file cannot be read.
    """
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if file.read(8) != PNG_SIGNATURE:
            raise UnreadablePng("not a PNG")
        info: PngInfo | None = None
        text_bytes = 0
        for _ in range(MAX_CHUNKS):
            header = file.read(8)
            if len(header) < 8:
                raise UnreadablePng("cut short before IEND")
            length, kind = struct.unpack(">I4s", header)
            if length > size:
                raise UnreadablePng("chunk longer than the file")
            if info is None:
                if kind != b"IHDR" or length != 13:
                    raise UnreadablePng("no IHDR first")
                info = _header(_body(file, kind, length))
            elif kind in _TEXT_KINDS and length <= MAX_TEXT_CHUNK and text_bytes + length <= MAX_TEXT_TOTAL:
                text_bytes += length
                entry = _text(kind, _body(file, kind, length))
                if entry and (keywords is None or entry[0] in keywords):
                    info.texts.setdefault(*entry)
            else:
                file.seek(length + 4, os.SEEK_CUR)  # data and CRC
                if file.tell() > size:
                    raise UnreadablePng("cut short")
            if kind == b"IEND":
                return info
    raise UnreadablePng("too many chunks")


def _body(file, kind: bytes, length: int) -> bytes:
    data = file.read(length + 4)
    if len(data) < length + 4:
        raise UnreadablePng("cut short")
    body, (crc,) = data[:length], struct.unpack(">I", data[length:])
    if zlib.crc32(kind + body) != crc:
        raise UnreadablePng(f"bad CRC in {kind!r}")
    return body


def _header(body: bytes) -> PngInfo:
    width, height = struct.unpack(">II", body[:8])
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise UnreadablePng("impossible size")
    return PngInfo(width, height)


def _inflate(data: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_CHUNK)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else out  # larger than the cap: ignored


def _text(kind: bytes, body: bytes) -> tuple[str, str] | None:
    """``(keyword, text)`` of a text chunk, or None if it is malformed."""
    keyword, sep, rest = body.partition(b"\0")
    if not sep or not 1 <= len(keyword) <= 79:
        return None
    name = keyword.decode("latin-1")
    if kind == b"tEXt":
        return name, rest.decode("latin-1")
    if kind == b"zTXt":
        text = _inflate(rest[1:]) if rest[:1] == b"\0" else None
        return None if text is None else (name, text.decode("latin-1"))
    if len(rest) < 2:  # iTXt: compression flag, method, language\0, translated keyword\0, text
        return None
    compressed, method = rest[0], rest[1]
    parts = rest[2:].split(b"\0", 2)
    if len(parts) != 3:
        return None
    data = parts[2]
    if compressed:
        data = _inflate(data) if method == 0 else None
        if data is None:
            return None
    return name, data.decode("utf-8", errors="replace")
