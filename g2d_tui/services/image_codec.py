"""Pillow work on generated images: validate and shrink for display.

The PNG metadata writer lives in :mod:`g2d_tui.services.png_metadata`.

Every function here is synchronous and CPU-bound: call them through
``asyncio.to_thread`` or a thread worker, never on the event loop. Pillow is imported
inside the functions so importing this module costs nothing at startup.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from g2d_tui.services.allocator import return_big_buffers
from g2d_tui.services.images.base import ImageError

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


def _open(data: bytes) -> PILImage.Image:
    """Open ``data`` lazily, refusing images over ``Image.MAX_IMAGE_PIXELS``.

    Pillow only warns between 1x and 2x the limit; the warning is turned into an error
    here, and the size is checked again in case another thread reset the filters.
    """
    from PIL import Image

    if not data:
        raise ImageError("images.corrupt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("images.too_large") from None
    except Exception:
        raise ImageError("images.corrupt") from None
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        image.close()
        raise ImageError("images.too_large")
    return image


def _decoded(data: bytes) -> PILImage.Image:
    """Fully decode ``data`` after checking its structure; ImageError on any failure."""
    from PIL import Image

    image = _open(data)
    try:
        image.verify()  # checksums (PNG CRCs); leaves the image unusable
    except Exception:
        raise ImageError("images.corrupt") from None
    finally:
        image.close()
    image = _open(data)
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        image.close()
        raise ImageError("images.too_large") from None
    except Exception:
        image.close()
        raise ImageError("images.corrupt") from None
    return image


def _is_black(image: PILImage.Image) -> bool:
    from PIL import Image, ImageStat

    small = image.convert("L") if image.mode != "L" else image
    small = small.resize((32, 32), Image.Resampling.BOX)
    stat = ImageStat.Stat(small)
    return stat.mean[0] < _BLACK_MEAN and stat.stddev[0] < _BLACK_SPREAD


def inspect(data: bytes) -> ImageInfo:
    """Check that ``data`` is a complete, decodable image of sane size.

    Raises:
        ImageError: ``images.too_large`` over ``PIL.Image.MAX_IMAGE_PIXELS``,
            ``images.corrupt`` for anything Pillow cannot fully decode.
    """
    return_big_buffers()
    image = _decoded(data)
    try:
        fmt = image.format or "PNG"
        mime = image.get_format_mimetype() or f"image/{fmt.lower()}"
        return ImageInfo(image.width, image.height, fmt, mime, _is_black(image), _preview(image))
    except ImageError:
        raise
    except Exception:
        raise ImageError("images.corrupt") from None
    finally:
        image.close()


def _preview(image: PILImage.Image) -> PILImage.Image:
    return _fitted(image, PREVIEW_BOX, reducing_gap=2.0)


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


def display_copy(data: bytes, max_width: int, max_height: int) -> PILImage.Image:
    """A decoded RGB copy scaled down (never up) to fit ``max_width`` x ``max_height``.

    Keep only this copy in memory for display; the original bytes go to disk.
    """
    box = (max(1, int(max_width)), max(1, int(max_height)))
    image = _open(data)
    try:
        image.draft("RGB", box)  # JPEG decodes at a reduced scale: much faster
        image.load()
        return _fitted(image, box, reducing_gap=3.0)
    except ImageError:
        raise
    except Exception:
        raise ImageError("images.corrupt") from None


def _lanczos() -> int:
    from PIL import Image

    return Image.Resampling.LANCZOS
