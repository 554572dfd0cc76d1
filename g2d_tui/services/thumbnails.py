"""Small RGB thumbnails of picture files for the gallery, cached on disk.

The cache is keyed by the file's SHA-256 and the thumbnail size (``<cache>/ab/abcd…-256.jpg``),
so a picture decoded once is never decoded again, whatever its name, and scrolling a big
gallery only reads small JPEGs. Decoding is synchronous and CPU-bound: call
:func:`thumbnail` from a thread. Only PNG, JPEG and WebP are opened, and images over
:data:`MAX_PIXELS` are refused before their pixels are decoded (decompression bombs).
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui import hooks
from g2d_tui.services.errors import ServiceError

if TYPE_CHECKING:
    from PIL import Image as PILImage

DEFAULT_SIZE = 256
MAX_PIXELS = 64_000_000
FORMATS = ("PNG", "JPEG", "WEBP")
JPEG_QUALITY = 85


class ThumbnailError(ServiceError):
    """A picture file that cannot be made into a thumbnail (``thumbnails.*`` key)."""


def cached_path(sha256: str, size: int = DEFAULT_SIZE, cache_dir: Path | None = None) -> Path:
    """Where the thumbnail of the content ``sha256`` at ``size`` is cached."""
    from g2d_tui.paths import thumbnails_dir

    folder = cache_dir if cache_dir is not None else thumbnails_dir()
    digest = "".join(char for char in sha256.lower() if char in "0123456789abcdef") or "unknown"
    return folder / digest[:2] / f"{digest}-{int(size)}.jpg"


def thumbnail(path: Path | str, *, size: int = DEFAULT_SIZE, sha256: str = "", cache_dir: Path | None = None) -> PILImage.Image:
    """An RGB thumbnail of the picture at ``path``, within ``size`` x ``size`` pixels.

    Args:
        sha256: the file's digest as recorded in the gallery (computed when empty).
        cache_dir: default :func:`g2d_tui.paths.thumbnails_dir`.

    Raises:
        ThumbnailError: ``thumbnails.missing``, ``thumbnails.unsupported``,
            ``thumbnails.too_large`` or ``thumbnails.unreadable``.
    """
    path = Path(path)
    size = max(16, int(size))
    if not sha256:
        from g2d_tui.services.history.gallery import file_sha256

        try:
            sha256 = file_sha256(path)
        except FileNotFoundError:
            raise ThumbnailError("thumbnails.missing", path=str(path)) from None
        except OSError:
            raise ThumbnailError("thumbnails.unreadable", path=str(path)) from None
    cache = cached_path(sha256, size, cache_dir)
    image = _read_cached(cache)
    if image is None:
        image = make_thumbnail(path, size)
        _write_cached(cache, image)
    return image


def make_thumbnail(path: Path, size: int = DEFAULT_SIZE) -> PILImage.Image:
    """Decode ``path`` (capped) and scale it down to fit ``size`` x ``size``; no cache."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    hooks.announce("image_decoding")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(path, formats=FORMATS)
    except FileNotFoundError:
        raise ThumbnailError("thumbnails.missing", path=str(path)) from None
    except UnidentifiedImageError:
        raise ThumbnailError("thumbnails.unsupported", path=str(path)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ThumbnailError("thumbnails.too_large", path=str(path)) from None
    except Exception:
        raise ThumbnailError("thumbnails.unreadable", path=str(path)) from None
    with source:
        if source.width * source.height > MAX_PIXELS:
            raise ThumbnailError("thumbnails.too_large", path=str(path))
        try:
            source.draft("RGB", (size, size))  # JPEG decodes at a reduced scale
            upright = ImageOps.exif_transpose(source)
            rgb = _rgb(upright)
            rgb.thumbnail((size, size), resample=Image.Resampling.LANCZOS, reducing_gap=2.0)
        except Exception:
            raise ThumbnailError("thumbnails.unreadable", path=str(path)) from None
    return rgb


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


def _read_cached(cache: Path) -> PILImage.Image | None:
    """The cached thumbnail, or None if it is absent or unusable (it is then made again)."""
    if not cache.is_file():
        return None
    from PIL import Image

    try:
        with Image.open(cache, formats=("JPEG",)) as cached:
            cached.load()
            return cached.convert("RGB") if cached.mode != "RGB" else cached.copy()
    except Exception:
        return None


def _write_cached(cache: Path, image: PILImage.Image) -> None:
    """Store a thumbnail, atomically; a cache that cannot be written is only slower."""
    temp = cache.with_name(f".{cache.name}.{secrets.token_hex(4)}.part")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        image.save(temp, format="JPEG", quality=JPEG_QUALITY)
        os.replace(temp, cache)
    except OSError:
        temp.unlink(missing_ok=True)
