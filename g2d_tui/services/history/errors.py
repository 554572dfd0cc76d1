"""The history store's errors, and how sqlite3 failures map onto them.

Callers never see a ``sqlite3`` exception: opening fails with :class:`HistoryUnavailable`
(the app then runs without history), a failure during use with :class:`HistoryError`
(that one call failed; the store may still work). Both carry a catalogue key saying why.
"""

from __future__ import annotations

import errno
import functools
import sqlite3
from pathlib import Path
from typing import Any, Callable, TypeVar

from g2d_tui.services.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


class HistoryError(ServiceError):
    """One store operation failed (key ``history.error.*``, ``history.export.*``, ``history.import.*``)."""


class HistoryUnavailable(ServiceError):
    """The store cannot be opened (key ``history.unavailable.*``): run without history."""


_CAUSES = {
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_FULL: "disk_full",
    sqlite3.SQLITE_READONLY: "read_only",
    sqlite3.SQLITE_PERM: "read_only",
    sqlite3.SQLITE_AUTH: "read_only",
    sqlite3.SQLITE_CORRUPT: "damaged",
    sqlite3.SQLITE_NOTADB: "damaged",
    sqlite3.SQLITE_CANTOPEN: "cannot_open",
    sqlite3.SQLITE_CONSTRAINT: "missing",  # a foreign key to a conversation that is gone
}


def cause(error: sqlite3.Error) -> str:
    """What an sqlite3 error means for the user: ``locked``, ``disk_full``, ``read_only``,
    ``damaged``, ``cannot_open``, ``missing``, ``closed`` or ``failed``."""
    if isinstance(error, sqlite3.ProgrammingError) and "closed" in str(error).lower():
        return "closed"
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "failed"
    return _CAUSES.get(code & 0xFF, "failed")  # extended codes keep the primary one in the low byte


def os_cause(error: OSError) -> str:
    """The same vocabulary for an OSError from the file system."""
    if isinstance(error, PermissionError) or error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "read_only"
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "disk_full"
    return "failed"


def unavailable(reason: str, path: Path, detail: str = "") -> HistoryUnavailable:
    """:class:`HistoryUnavailable` for ``reason`` (a :func:`cause` word)."""
    if reason == "cannot_open":
        reason = "failed"
    if reason in ("failed", "missing", "closed"):
        return HistoryUnavailable("history.unavailable.failed", path=str(path), reason=detail or reason)
    return HistoryUnavailable(f"history.unavailable.{reason}", path=str(path))


def use_error(error: sqlite3.Error) -> HistoryError:
    """:class:`HistoryError` for a failure while the store is in use."""
    reason = cause(error)
    if reason == "cannot_open":
        reason = "read_only"  # the folder lost write access: the WAL or journal cannot be created
    if reason == "failed":
        return HistoryError("history.error.failed", reason=str(error) or error.__class__.__name__)
    return HistoryError(f"history.error.{reason}")


def guarded(method: F) -> F:
    """Turn any sqlite3 error raised by ``method`` into a :class:`HistoryError`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._connection is None:
            raise HistoryError("history.error.closed")
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            failure = use_error(error)
            if failure.key == "history.error.damaged":
                self._damage_seen()
            raise failure from error

    return wrapper  # type: ignore[return-value]
