"""Pillow work on generated images: validate and shrink for display.

The PNG metadata writer lives in :mod:`g2d_tui.services.png_metadata`.

Every function here is synchronous and CPU-bound: call them through
``asyncio.to_thread`` or a thread worker, never on the event loop. Pillow is imported
inside the functions so importing this module costs nothing at startup.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from g2d_tui import hooks
from g2d_tui.services.images.base import ImageError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

if TYPE_CHECKING:
    from PIL import Image as PILImage

_BLACK_MEAN = 3.0
_BLACK_SPREAD = 2.0


@dataclass(frozen=True)
class ImageInfo:
    """What :func:`inspect` found out about an encoded image."""

    width: int
    height: int
    format: str
    """Pillow's format name: ``"PNG"``, ``"JPEG"``, ``"WEBP"``..."""
    mime: str
    is_black: bool
    """True for the all-black frames safety checkers send instead of an error."""
    preview: PILImage.Image | None = field(default=None, compare=False, repr=False)
    """An RGB copy within :data:`PREVIEW_BOX`, made while the image was decoded anyway:
    enough for a half-cell picture, which then needs no second decode."""


PREVIEW_BOX = (512, 512)

DECODABLE_FORMATS = ("PNG", "JPEG", "WEBP")
"""What the image backends send; anything else (GIF, BMP, TIFF, PSD...) is never decoded."""
MAX_PIXELS = 6144 * 6144
"""Absolute cap on a decoded image (~150 MB as RGBA): above every model's output."""
EXPECTED_FACTOR = 4
"""With ``expected_size``, at most this many times the requested pixels are decoded ..."""
EXPECTED_FLOOR = 1024 * 1024
"""... or this many, if more: models that ignore the requested size send their native 1024²."""
MAX_CONCURRENT_DECODES = 2
"""Decodes running at once; more wait. Each can take hundreds of MB and a core."""

_decode_slots = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)
_holding = threading.local()


@contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of :data:`MAX_CONCURRENT_DECODES` slots (re-entrant within a thread)."""
    if getattr(_holding, "depth", 0):
        _holding.depth += 1
        try:
            yield
        finally:
            _holding.depth -= 1
        return
    with _decode_slots:
        _holding.depth = 1
        try:
            yield
        finally:
            _holding.depth = 0


def pixel_limit(expected_size: tuple[int, int] | None = None) -> int:
    """The most pixels a decode may produce (see :data:`MAX_PIXELS`, :data:`EXPECTED_FACTOR`)."""
    from PIL import Image

    limit = MAX_PIXELS
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, int(Image.MAX_IMAGE_PIXELS))
    if expected_size is not None:
        width, height = (max(1, int(side)) for side in expected_size)
        limit = min(limit, max(EXPECTED_FACTOR * width * height, EXPECTED_FLOOR))
    return limit


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]] | None:
    """``(kind, start, stop)`` of every chunk (``stop`` past its CRC) when they are laid out
    right, every CRC is correct and IEND ends them; None otherwise. No inflating needed.

    CRCs run at memory speed, so this costs a fraction of a decode, and Pillow's decode
    then only has to fail on what a checksum cannot see.
    """
    pos, end = len(PNG_SIGNATURE), len(data)
    chunks: list[tuple[bytes, int, int]] = []
    while pos + 12 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        stop = pos + 12 + length
        if stop > end or (not chunks and kind != b"IHDR"):
            return None
        if _crc32(memoryview(data)[pos + 4 : stop - 4]) != struct.unpack_from(">I", data, stop - 4)[0]:
            return None
        chunks.append((kind, pos, stop))
        if kind == b"IEND":
            return chunks
        pos = stop
    return None


_CRC_PIECE = 5 * 1024
"""zlib.crc32 lets go of the GIL above 5 KiB; each time, a thread waited up to 5 ms (the
interpreter's switch interval) to get it back from a busy event loop: 28 chunks of a
1024² PNG took 135 ms instead of 0.5."""


def _crc32(view: memoryview, crc: int = 0) -> int:
    """zlib.crc32 of ``view``, in pieces that keep the GIL (see :data:`_CRC_PIECE`)."""
    for start in range(0, len(view), _CRC_PIECE):
        crc = zlib.crc32(view[start : start + _CRC_PIECE], crc)
    return crc


def _one_idat(data: bytes, chunks: list[tuple[bytes, int, int]]) -> bytes:
    """``data`` with its IDAT chunks joined into one (the same pixels, the same stream).

    Pillow reads each IDAT in Python and holds the GIL between them: a 1024² render in
    64 KB chunks took 175 ms instead of 33 ms to decode in a thread while the event loop
    was busy. One chunk, read in one block (see :func:`_open`), is one GIL-free inflate.
    """
    idats = [index for index, (kind, _, _) in enumerate(chunks) if kind == b"IDAT"]
    if len(idats) < 2 or idats[-1] - idats[0] != len(idats) - 1:
        return data  # one already, or not consecutive (Pillow judges that one)
    first, last = chunks[idats[0]], chunks[idats[-1]]
    body = b"".join(memoryview(data)[start + 8 : stop - 4] for _, start, stop in chunks[idats[0] : idats[-1] + 1])
    crc = _crc32(memoryview(body), zlib.crc32(b"IDAT"))
    joined = struct.pack(">I4s", len(body), b"IDAT") + body + struct.pack(">I", crc)
    return b"".join((memoryview(data)[: first[1]], joined, memoryview(data)[last[2] :]))


class UnsupportedImage(ImageError):
    """Data that is no PNG, JPEG or WebP at all (not a damaged one of those).

    Its key stays ``images.corrupt``, so the user reads the same message; callers
    that word it differently (gallery thumbnails) can tell the two apart.
    """

    def __init__(self) -> None:
        super().__init__("images.corrupt")


def _open(data: bytes, expected_size: tuple[int, int] | None = None) -> PILImage.Image:
    """Open ``data`` lazily (the header only), refusing other formats and oversized images.

    Raises:
        ImageError: ``images.corrupt`` for anything but a well-formed PNG, JPEG or WebP
            header (:class:`UnsupportedImage` when it is none of them);
            ``images.too_large`` over :func:`pixel_limit`, before any pixel is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise UnsupportedImage()
    if data.startswith(PNG_SIGNATURE):
        chunks = _png_chunks(data)
        if chunks is None:
            raise ImageError("images.corrupt")
        data = _one_idat(data, chunks)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=DECODABLE_FORMATS)
        # The whole stream to the decoder in one call, which releases the GIL: in 64 KB
        # blocks (the default) the thread waited for the busy event loop between blocks.
        image.decodermaxblock = max(image.decodermaxblock, len(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("images.too_large") from None
    except UnidentifiedImageError:
        raise UnsupportedImage() from None
    except Exception:
        raise ImageError("images.corrupt") from None
    if image.width * image.height > pixel_limit(expected_size):
        image.close()
        raise ImageError("images.too_large")
    return image


@contextmanager
def decoded(
    data: bytes, expected_size: tuple[int, int] | None = None, *, draft_box: tuple[int, int] | None = None
) -> Iterator[PILImage.Image]:
    """``data`` fully decoded, once, within a decode slot; closed when the ``with`` ends.

    The one way into Pillow for received and stored pictures. PNG structure and
    checksums are checked by :func:`_open` without inflating; a truncated or damaged
    stream makes ``load()`` fail (truncated images are not accepted). A failure in the
    ``with`` body is ``images.corrupt`` too.

    Args:
        data: the encoded image.
        expected_size: see :func:`pixel_limit`.
        draft_box: the size the pixels are wanted at, if smaller: a JPEG then decodes at
            a reduced scale that still covers it (much faster).

    Raises:
        ImageError: ``images.too_large`` or ``images.corrupt`` (:class:`UnsupportedImage`
            for data of no accepted format).
    """
    from PIL import Image

    with _decode_slot():
        image = _open(data, expected_size)
        try:
            if draft_box is not None:
                image.draft("RGB", draft_box)
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            image.close()
            raise ImageError("images.too_large") from None
        except Exception:
            image.close()
            raise ImageError("images.corrupt") from None
        try:
            yield image
        except ImageError:
            raise
        except Exception:
            raise ImageError("images.corrupt") from None
        finally:
            image.close()


def _is_black(image: PILImage.Image) -> bool:
    from PIL import Image, ImageStat

    # Shrunk first: converting 32² pixels is too little work to let go of the GIL.
    small = image.resize((32, 32), Image.Resampling.BOX).convert("L")
    stat = ImageStat.Stat(small)
    return stat.mean[0] < _BLACK_MEAN and stat.stddev[0] < _BLACK_SPREAD


def inspect(data: bytes, expected_size: tuple[int, int] | None = None) -> ImageInfo:
    """Check that ``data`` is a complete, decodable PNG, JPEG or WebP of sane size.

    Decodes once; the black-frame check and the preview come from that decode.

    Args:
        data: the encoded image.
        expected_size: the ``(width, height)`` that was asked for; more than
            :data:`EXPECTED_FACTOR` times its pixels (and :data:`EXPECTED_FLOOR`) is refused.

    Raises:
        ImageError: ``images.too_large`` over :func:`pixel_limit` (told by the header,
            before decoding), ``images.corrupt`` for anything that is not a complete
            image of an accepted format.
    """
    hooks.announce("image_decoding")
    with decoded(data, expected_size) as image:
        fmt = image.format or "PNG"
        mime = image.get_format_mimetype() or f"image/{fmt.lower()}"
        preview = _preview(image)
        return ImageInfo(image.width, image.height, fmt, mime, _is_black(preview), preview)


def _preview(image: PILImage.Image) -> PILImage.Image:
    # reducing_gap 1.0: a 1024² render is box-reduced by 2 (~3 ms) rather than resampled
    # with Lanczos (~17 ms); the preview is scaled down again for display anyway.
    preview = _fitted(image, PREVIEW_BOX, reducing_gap=1.0)
    preview.info = {}  # text chunks (up to megabytes) stay with the bytes, not in memory
    return preview


def _fitted(image: PILImage.Image, box: tuple[int, int], reducing_gap: float) -> PILImage.Image:
    """An upright RGB copy of ``image`` scaled down (never up) to fit ``box``; ``image``
    itself is left as it was."""
    from PIL import ImageOps

    upright = image
    if image.getexif().get(_ORIENTATION, 1) != 1:
        upright = ImageOps.exif_transpose(image)  # a new image
    rgb = _rgb(upright)
    size = _fitting(rgb.size, box)
    if size == rgb.size:
        return rgb.copy() if rgb is image else rgb
    # resize, not a copy and thumbnail(): one image fewer through memory (~4 ms at 1024²).
    return rgb.resize(size, _lanczos(), reducing_gap=reducing_gap)


_ORIENTATION = 0x0112


def _fitting(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down (never up) to fit ``box``, aspect kept (as ``Image.thumbnail``)."""
    width, height = size
    if width <= box[0] and height <= box[1]:
        return size
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _rgb(image: PILImage.Image) -> PILImage.Image:
    """``image`` in RGB; transparent parts become black (terminals are mostly dark)."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def display_copy(data: bytes, max_width: int, max_height: int, *, reducing_gap: float = 3.0) -> PILImage.Image:
    """A decoded RGB copy scaled down (never up) to fit ``max_width`` x ``max_height``.

    Keep only this copy in memory for display; the original bytes go to disk. Same
    formats and pixel cap as :func:`inspect`, within a decode slot. ``reducing_gap``
    trades quality for speed as in Pillow's ``Image.thumbnail``.
    """
    box = (max(1, int(max_width)), max(1, int(max_height)))
    with decoded(data, draft_box=box) as image:
        copy = _fitted(image, box, reducing_gap=reducing_gap)
        copy.info = {}
        return copy


def _lanczos() -> int:
    from PIL import Image

    return Image.Resampling.LANCZOS
