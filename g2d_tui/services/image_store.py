"""Save generated images as PNG files with unique, readable names.

``save`` is synchronous (it encodes and touches the disk): run it through
``asyncio.to_thread``. It never overwrites a file and never leaves a partial one:
the bytes go to a hidden temporary file in the target folder, which then gets the
first free name atomically: a hard link (an atomic "create if absent"), or where the
file system has no hard links, ``renameat2(RENAME_NOREPLACE)`` on Linux, else a rename
checked under a lock. A ``.part`` file left by a killed process is deleted a day later.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import sys
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.services.images.base import ImageError
from g2d_tui.services.leftovers import remove_leftovers

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


STALE_PART_AGE = 24 * 3600.0
"""Seconds after which a ``.part`` file is a leftover of a killed save (a save takes seconds)."""
_RENAME_NOREPLACE = 1  # linux/fs.h
_AT_FDCWD = -100
_rename_lock = threading.Lock()
"""Serialises the check-then-rename fallback between this process's saves."""


def _load_renameat2():
    """glibc's (or musl's) ``renameat2``, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()
_NO_RENAMEAT2 = frozenset(getattr(errno, name) for name in ("ENOSYS", "EINVAL", "ENOTSUP", "EOPNOTSUPP") if hasattr(errno, name))


def _rename_noreplace(source: Path, target: Path) -> bool | None:
    """Rename ``source`` to ``target`` unless ``target`` exists, atomically.

    Returns True when renamed, False when ``target`` exists, None when neither the
    system call nor the file system supports it. Other failures raise OSError.
    """
    if _renameat2 is None:
        return None
    import ctypes

    if _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        return False
    if code in _NO_RENAMEAT2:
        return None
    raise OSError(code, os.strerror(code), str(target))


def remove_stale_parts(folder: Path, *, older_than: float = STALE_PART_AGE) -> list[Path]:
    """Delete our ``.part`` files in ``folder`` older than ``older_than`` seconds; returns them."""
    return remove_leftovers(folder, ".*.part", older_than=older_than)


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
    remove_stale_parts(folder)
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
                    return _move_without_link(temp, folder, stem)
                return candidate
        finally:
            temp.unlink(missing_ok=True)
    except OSError as exc:
        raise _error(exc, folder) from None
    raise ImageError("store.failed", reason="too many files with the same name")


def _move_without_link(temp: Path, folder: Path, stem: str) -> Path:
    """For file systems without hard links (FAT, some network mounts): rename the complete
    temp file to the first free name, never over an existing file, so a partial file is
    never seen under a final name.

    ``renameat2(RENAME_NOREPLACE)`` makes "rename if absent" one atomic step. Without it,
    the check and the rename run under a lock: saves of this process cannot race; another
    program creating the very same timestamped name in between is the remaining risk.
    """
    for candidate in _candidates(folder, stem):
        renamed = _rename_noreplace(temp, candidate)
        if renamed is None:
            with _rename_lock:
                if os.path.lexists(candidate):
                    continue
                os.replace(temp, candidate)
            return candidate
        if renamed:
            return candidate
    raise ImageError("store.failed", reason="too many files with the same name")


def save_picture(image: GeneratedImage, folder: Path) -> tuple[Path, str, int]:
    """:func:`save`, and the saved file's sha256 and size (for the gallery)."""
    import hashlib

    path = save(image, folder)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(exc, folder) from None
    return path, hashlib.sha256(data).hexdigest(), len(data)


MAX_PICTURE_BYTES = 64 * 1024 * 1024


def read_picture(path: Path) -> bytes:
    """The bytes of a saved picture, to show it again.

    Raises:
        ImageError: ``store.missing`` when it is gone, ``store.unreadable`` otherwise.
    """
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_PICTURE_BYTES + 1)
    except FileNotFoundError:
        raise ImageError("store.missing", path=str(path)) from None
    except OSError as exc:
        raise ImageError("store.unreadable", path=str(path), reason=exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_PICTURE_BYTES:
        raise ImageError("images.too_large")
    return data
