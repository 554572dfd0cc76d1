"""Pictures the fakes send: soft gradients in PNG, JPEG or WebP, and malformed PNGs
(decompression bombs, huge text chunks). Pillow is imported when a picture is made."""

from __future__ import annotations

import io
import struct
import zlib

def gradient(width: int, height: int, color: tuple[int, int, int] = (200, 80, 40), seed: int = 0):
    """A soft two-axis gradient around ``color``: looks like a picture, compresses well."""
    from PIL import Image, ImageChops

    width, height = max(1, int(width)), max(1, int(height))
    horizontal = Image.linear_gradient("L").rotate(90 + (seed % 4) * 90).resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    channels = []
    for index, base in enumerate(color):
        layer = horizontal if index % 2 == 0 else ImageChops.invert(radial)
        channels.append(layer.point(lambda v, b=base: max(0, min(255, b // 2 + (v * (255 - b // 2)) // 320))))
    return Image.merge("RGB", channels)


def encode(image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 64, color: tuple[int, int, int] = (200, 80, 40), seed: int = 0) -> bytes:
    return encode(gradient(width, height, color, seed), "PNG", compress_level=1)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG of a few hundred bytes whose header declares ``width`` x ``height`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * min(width, 64)) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def png_with_text_chunk(text_bytes: int = 10 * 1024 * 1024, width: int = 64, height: int = 64) -> bytes:
    """A small valid PNG carrying a ``tEXt`` chunk of ``text_bytes`` bytes before its pixels."""
    data = png_bytes(width, height)
    split = data.index(b"IDAT") - 4
    text = _png_chunk(b"tEXt", b"Comment\0" + b"A" * max(0, text_bytes - 8))
    return data[:split] + text + data[split:]
