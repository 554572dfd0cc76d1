"""Opening the history file: WAL, foreign keys, migrations, and what to do when that fails.

A damaged file is never overwritten: it is renamed ``history.sqlite3.damaged-<timestamp>``
(with its ``-wal``/``-shm``/``-journal`` companions, so SQLite can still pair them if
someone tries to rescue it) and a fresh store is created in its place. Every other failure
(locked beyond the busy timeout, read-only, disk full, written by a newer version) raises
:class:`HistoryUnavailable` and leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from g2d_tui.services.history.errors import HistoryUnavailable, cause, os_cause, unavailable
from g2d_tui.services.history.schema import SchemaTooNew, migrate

COMPANIONS = ("-wal", "-shm", "-journal")
MAX_KEPT_NAMES = 1000
CHECK_MARKER = "-needs-check"
"""Suffix of the file that asks the next open for a full check (damage was met during use)."""


class _Damaged(Exception):
    """The file is not a usable SQLite database.

    Carries the connection that found out, still open: closing it lets SQLite delete the
    ``-wal`` file it found beside the damaged one, so it is closed only once the files
    have been moved aside.
    """

    def __init__(self, connection: sqlite3.Connection | None = None) -> None:
        super().__init__()
        self.connection = connection

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self.connection.close()


def open_connection(
    path: Path, busy_timeout: float, check_integrity: bool | None = None,
) -> tuple[sqlite3.Connection, Path | None]:
    """A ready connection to the store at ``path``, and where a damaged file was kept (or None).

    A file that is not a database, or whose header or schema is damaged, is found by any
    open. Damage deeper inside is found by ``PRAGMA quick_check``, which reads the whole
    file (~4 ms per MB): too slow for every start, so it runs when asked, or when the
    last session met damage and left a marker (see :func:`request_check`).

    Args:
        path: the database file; its folder is created if needed.
        busy_timeout: seconds to wait for another process's lock before giving up.
        check_integrity: True/False to force the full check on or off; None: only if
            the marker is there.

    Raises:
        HistoryUnavailable: locked, read_only, disk_full, too_new, not_a_file, damaged
            (and it could not be moved aside), or failed.
    """
    _prepare_folder(path)
    marker = Path(f"{path}{CHECK_MARKER}")
    if check_integrity is None:
        check_integrity = marker.exists()
    try:
        connection, kept = _connect(path, busy_timeout, check_integrity), None
    except _Damaged as damaged:
        try:
            kept = keep_aside(path)
        finally:
            damaged.close()
        try:
            connection = _connect(path, busy_timeout, check_integrity)
        except _Damaged as again:
            again.close()
            raise HistoryUnavailable("history.unavailable.damaged", path=str(path)) from None
    if check_integrity:
        with contextlib.suppress(OSError):
            marker.unlink(missing_ok=True)
    return connection, kept


def request_check(path: Path) -> None:
    """Leave a marker so the next open runs the full check (best effort)."""
    try:
        Path(f"{path}{CHECK_MARKER}").touch()
    except OSError:
        pass


def _prepare_folder(path: Path) -> None:
    if path.is_dir():
        raise HistoryUnavailable("history.unavailable.not_a_file", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unavailable(os_cause(error), path, error.strerror or "") from None
    if not _writable(path):
        raise HistoryUnavailable("history.unavailable.read_only", path=str(path))


def _writable(path: Path) -> bool:
    """The folder (for the WAL and a new file) and the file itself, if present, are writable."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.R_OK | os.W_OK)


def _connect(path: Path, busy_timeout: float, check_integrity: bool) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as error:
        raise _classified(error, path) from None
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # SQLite quietly opened the file read-only
            raise HistoryUnavailable("history.unavailable.read_only", path=str(path))
        connection.execute("PRAGMA synchronous = FULL")  # a committed turn survives a power cut too
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # parses the schema
        if check_integrity:
            _check(connection)
        migrate(connection)
    except SchemaTooNew:
        connection.close()
        raise HistoryUnavailable("history.unavailable.too_new", path=str(path)) from None
    except sqlite3.Error as error:
        failure = _classified(error, path, connection)
        if not isinstance(failure, _Damaged):
            connection.close()
        raise failure from None
    except _Damaged:
        raise
    except BaseException:
        connection.close()
        raise
    return connection


def _check(connection: sqlite3.Connection) -> None:
    row = connection.execute("PRAGMA quick_check(1)").fetchone()
    if not row or row[0] != "ok":
        raise _Damaged(connection)


def _classified(error: sqlite3.Error, path: Path, connection: sqlite3.Connection | None = None) -> Exception:
    reason = cause(error)
    if reason == "damaged":
        return _Damaged(connection)
    if reason == "cannot_open" and not _folder_accepts_files(path.parent):
        reason = "read_only"
    return unavailable(reason, path, str(error))


def _folder_accepts_files(folder: Path) -> bool:
    """Whether a file can be created in ``folder``: tried for real, since ``os.access``
    says yes to root even on a read-only file system."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def keep_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged store (and its companions) to a free ``<name>.damaged-<timestamp>[-n]``.

    Never overwrites: the new name is claimed with a hard link, which fails if it exists.

    Raises:
        HistoryUnavailable: ``history.unavailable.damaged`` when the file cannot be moved.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for number in range(1, MAX_KEPT_NAMES + 1):
        suffix = "" if number == 1 else f"-{number}"
        target = path.with_name(f"{path.name}.damaged-{stamp}{suffix}")
        if any(Path(f"{target}{extra}").exists() for extra in ("", *COMPANIONS)):
            continue
        try:
            if not _move(path, target):
                continue
            for extra in COMPANIONS:
                companion = Path(f"{path}{extra}")
                if companion.exists():
                    _move(companion, Path(f"{target}{extra}"))
        except OSError:
            break
        return target
    raise HistoryUnavailable("history.unavailable.damaged", path=str(path))


def _move(source: Path, target: Path) -> bool:
    """Move ``source`` to ``target`` unless ``target`` exists; False if it does."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError:
        # No hard links here (some network and FAT file systems): rename, after a check.
        if target.exists():
            return False
        os.replace(source, target)
        return True
    with contextlib.suppress(FileNotFoundError):
        source.unlink()
    return True
