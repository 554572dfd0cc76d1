"""Small RGB thumbnails of picture files for the gallery, cached on disk.

The cache is keyed by the file's SHA-256 and the thumbnail size (``<cache>/ab/abcd…-256.jpg``),
so a picture decoded once is never decoded again, whatever its name, and scrolling a big
gallery only reads small JPEGs. Decoding is synchronous and CPU-bound: call
:func:`thumbnail` from a thread. Pictures are decoded by :mod:`g2d_tui.services.image_codec`,
so the same formats, pixel cap and limit on concurrent decodes hold as for received images.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui import hooks
from g2d_tui.services.errors import ServiceError

if TYPE_CHECKING:
    from PIL import Image as PILImage

DEFAULT_SIZE = 256
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
    from g2d_tui.services.image_codec import UnsupportedImage, display_copy
    from g2d_tui.services.images.base import ImageError

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ThumbnailError("thumbnails.missing", path=str(path)) from None
    except OSError:
        raise ThumbnailError("thumbnails.unreadable", path=str(path)) from None
    hooks.announce("image_decoding")
    try:
        return display_copy(data, size, size, reducing_gap=2.0)
    except UnsupportedImage:
        raise ThumbnailError("thumbnails.unsupported", path=str(path)) from None
    except ImageError as error:
        key = "thumbnails.too_large" if error.key == "images.too_large" else "thumbnails.unreadable"
        raise ThumbnailError(key, path=str(path)) from None


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
