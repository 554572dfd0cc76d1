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


def _png_structure_ok(data: bytes) -> bool:
    """Chunks laid out right, every CRC correct, IEND at the end: no inflating needed.

    zlib.crc32 runs at memory speed, so this costs a fraction of a decode, and Pillow's
    decode then only has to fail on what a checksum cannot see.
    """
    pos, end = len(PNG_SIGNATURE), len(data)
    first = True
    while pos + 12 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        stop = pos + 12 + length
        if stop > end or (first and kind != b"IHDR"):
            return False
        body = memoryview(data)[pos + 4 : stop - 4]
        if zlib.crc32(body) != struct.unpack_from(">I", data, stop - 4)[0]:
            return False
        if kind == b"IEND":
            return True
        pos, first = stop, False
    return False


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
    if data.startswith(PNG_SIGNATURE) and not _png_structure_ok(data):
        raise ImageError("images.corrupt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=DECODABLE_FORMATS)
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

    small = image.convert("L") if image.mode != "L" else image
    small = small.resize((32, 32), Image.Resampling.BOX)
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
        return ImageInfo(image.width, image.height, fmt, mime, _is_black(image), _preview(image))


def _preview(image: PILImage.Image) -> PILImage.Image:
    preview = _fitted(image, PREVIEW_BOX, reducing_gap=2.0)
    preview.info = {}  # text chunks (up to megabytes) stay with the bytes, not in memory
    return preview


def _fitted(image: PILImage.Image, box: tuple[int, int], reducing_gap: float) -> PILImage.Image:
    """An upright RGB copy of ``image`` scaled down (never up) to fit ``box``.

    ``exif_transpose`` always returns a new image, so ``image`` itself is left as it was.
    """
    from PIL import ImageOps

    fitted = _rgb(ImageOps.exif_transpose(image))
    fitted.thumbnail(box, resample=_lanczos(), reducing_gap=reducing_gap)
    return fitted


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
