"""Save generated images as PNG files with unique, readable names.

``save`` is synchronous (it encodes and touches the disk): run it through
``asyncio.to_thread``. It never overwrites a file and never leaves a partial one:
the bytes go to a hidden temporary file in the target folder, which is then
hard-linked to the first free name (an atomic "create if absent").
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.services.images.base import ImageError

if TYPE_CHECKING:
    from g2d_tui.services.images.base import GeneratedImage

MAX_COLLISIONS = 10_000
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
# errnos meaning "this filesystem cannot hard-link": fall back to an exclusive create.
_NO_LINK = frozenset(
    getattr(errno, name)
    for name in ("EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK", "ENOSYS", "EINVAL")
    if hasattr(errno, name)
)


def slugify(text: str, max_length: int = 48) -> str:
    """An ASCII, lowercase, dash-separated file name part; never empty (``"image"``).

    No path separators, dots or other punctuation survive, so the result cannot
    escape the folder it is joined to.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[: max(1, max_length)].rstrip("-")
    if not slug:
        return "image"
    if slug in _RESERVED:
        slug = f"{slug}-image"
    return slug


def file_stem(image: GeneratedImage) -> str:
    """``"<YYYYMMDD-HHMMSS>-<slug>"`` for ``image``."""
    request = image.request
    return f"{image.created:%Y%m%d-%H%M%S}-{slugify(request.source_request or request.prompt)}"


def _error(exc: OSError, folder: Path) -> ImageError:
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ImageError("store.unwritable", path=str(folder))
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return ImageError("store.disk_full", path=str(folder))
    if isinstance(exc, (NotADirectoryError, FileExistsError)) or exc.errno == errno.ENOTDIR:
        return ImageError("store.not_a_folder", path=str(folder))
    return ImageError("store.failed", reason=exc.strerror or exc.__class__.__name__)


def _blocking_file(folder: Path) -> Path:
    """The nearest existing ancestor of ``folder`` (or itself) that is not a folder, else ``folder``."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return folder if candidate.is_dir() else candidate
    return folder


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ImageError("store.not_a_folder", path=str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error = _error(exc, folder)
        if error.key == "store.not_a_folder":
            # Fault-suite fix: for ``file.txt/images`` the message said "…/file.txt/images is
            # a file"; name the path that really is a file, so the user knows what to fix.
            error = ImageError("store.not_a_folder", path=str(_blocking_file(folder)))
        raise error from None


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (failing if it exists) holding ``data``; no trace left on failure."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _candidates(folder: Path, stem: str):
    yield folder / f"{stem}.png"
    for number in range(2, MAX_COLLISIONS + 1):
        yield folder / f"{stem}-{number}.png"


def save(image: GeneratedImage, folder: Path) -> Path:
    """Write ``image`` as a PNG with its generation parameters into ``folder``.

    Returns:
        The path of the new file: ``<YYYYMMDD-HHMMSS>-<slug>.png``, with ``-2``,
        ``-3``... added when a file of that name already exists.

    Raises:
        ImageError: ``store.not_a_folder``, ``store.unwritable``, ``store.disk_full``,
            ``store.failed`` (or ``images.corrupt`` if the image bytes are unusable).
    """
    from g2d_tui.services.png_metadata import png_with_parameters

    folder = Path(folder).expanduser()
    data = png_with_parameters(image)
    _prepare_folder(folder)
    stem = file_stem(image)
    temp = folder / f".{stem}.{secrets.token_hex(4)}.part"
    try:
        _write_new(temp, data)
        try:
            for candidate in _candidates(folder, stem):
                try:
                    os.link(temp, candidate)
                except FileExistsError:
                    continue
                except OSError as exc:
                    if exc.errno not in _NO_LINK:
                        raise
                    return _save_without_link(folder, stem, data)
                return candidate
        finally:
            temp.unlink(missing_ok=True)
    except OSError as exc:
        raise _error(exc, folder) from None
    raise ImageError("store.failed", reason="too many files with the same name")


def _save_without_link(folder: Path, stem: str, data: bytes) -> Path:
    """For filesystems without hard links (FAT, some network mounts): exclusive create."""
    for candidate in _candidates(folder, stem):
        try:
            _write_new(candidate, data)
        except FileExistsError:
            continue
        return candidate
    raise ImageError("store.failed", reason="too many files with the same name")
