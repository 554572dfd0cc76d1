"""The picture half of :class:`~g2d_tui.services.history.store.HistoryStore`: the gallery.

Pictures outlive conversations (deleting a conversation unlinks its pictures) and their
files outlive the rows: a file is deleted only when the caller asks, only if it is a
regular file whose content is still the one recorded, and only if no other row uses it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.conversation import Picture
from g2d_tui.services.history.errors import HistoryError, guarded, os_cause
from g2d_tui.services.history.records import (
    PICTURE_COLUMNS,
    PICTURE_FIELDS,
    ImportResult,
    PictureFilter,
    picture_from_row,
    picture_values,
    to_db_time,
)
from g2d_tui.services.history.search import fts_query

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

_INSERT = f"INSERT INTO pictures({', '.join(PICTURE_FIELDS)}) VALUES ({', '.join('?' * len(PICTURE_FIELDS))})"
_UPDATE = f"UPDATE pictures SET {', '.join(f'{name} = ?' for name in PICTURE_FIELDS)} WHERE id = ?"
HASH_BLOCK = 1 << 20
WALK_INDEX_OVER = 500


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class GalleryMixin:
    """Picture methods; the host class provides ``_db``, ``_write()`` and ``_connection``."""

    _connection: sqlite3.Connection | None

    if TYPE_CHECKING:
        _db: sqlite3.Connection

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

    @guarded
    def add_picture(self, picture: Picture) -> int:
        """Store a picture (committed at once); sets and returns ``picture.id``."""
        with self._write() as db:
            (picture.id,) = self._insert_pictures(db, [picture])
        return picture.id

    @guarded
    def add_pictures(self, pictures: list[Picture]) -> list[int]:
        """Store many pictures in one transaction (an import); sets and returns their ids."""
        with self._write() as db:
            ids = self._insert_pictures(db, pictures)
        for picture, picture_id in zip(pictures, ids, strict=True):
            picture.id = picture_id
        return ids

    @staticmethod
    def _insert_pictures(db: sqlite3.Connection, pictures: list[Picture]) -> list[int]:
        return [db.execute(_INSERT, picture_values(picture)).lastrowid for picture in pictures]

    @guarded
    def update_picture(self, picture: Picture) -> bool:
        """Rewrite every field of a stored picture (by ``picture.id``), e.g. its path after a save."""
        if picture.id is None:
            return False
        with self._write() as db:
            cursor = db.execute(_UPDATE, (*picture_values(picture), picture.id))
        return cursor.rowcount > 0

    @guarded
    def get_picture(self, picture_id: int) -> Picture | None:
        row = self._db.execute(f"SELECT {PICTURE_COLUMNS} FROM pictures WHERE id = ?", (picture_id,)).fetchone()
        return picture_from_row(row) if row else None

    @guarded
    def pictures(self, filter: PictureFilter | None = None, before: Picture | None = None, limit: int = 60) -> list[Picture]:
        """Pictures newest first, ``limit`` at a time.

        Args:
            filter: what to show; None shows all.
            before: the last picture of the previous page; None for the first page.
        """
        where, params = _conditions(filter)
        if where is None:
            return []
        source = "pictures"
        if params and isinstance(params[0], str):  # a text filter
            matches = self._text_matches(params[0])
            if not matches:
                return []
            if matches > WALK_INDEX_OVER:
                # Many matches: walk the pictures newest first and stop at ``limit``,
                # rather than fetch every match and sort it (~5 ms against ~17 ms for
                # a word found in all of 10,000 pictures).
                source = "pictures INDEXED BY pictures_by_created"
        if before is not None and before.id is not None:
            where.append("(created, id) < (?, ?)")
            params += [to_db_time(before.created), before.id]
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            f"SELECT {PICTURE_COLUMNS} FROM {source} {clause} ORDER BY created DESC, id DESC LIMIT ?",
            [*params, max(0, limit)],
        )
        return [picture_from_row(row) for row in rows]

    @guarded
    def picture_count(self, filter: PictureFilter | None = None) -> int:
        where, params = _conditions(filter)
        if where is None:
            return 0
        if len(params) == 1 and isinstance(params[0], str):
            return self._text_matches(params[0])  # the index alone knows
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self._db.execute(f"SELECT count(*) FROM pictures {clause}", params).fetchone()[0]

    def _text_matches(self, query: str) -> int:
        return self._db.execute("SELECT count(*) FROM pictures_fts WHERE pictures_fts MATCH ?", (query,)).fetchone()[0]

    @guarded
    def children(self, picture_id: int) -> list[Picture]:
        """The edits and variations made from a picture, oldest first."""
        rows = self._db.execute(
            f"SELECT {PICTURE_COLUMNS} FROM pictures WHERE parent_id = ? ORDER BY created, id", (picture_id,)
        )
        return [picture_from_row(row) for row in rows]

    @guarded
    def remove_picture(self, picture_id: int, delete_file: bool = False) -> bool:
        """Remove a picture from the gallery; False if it was not there.

        With ``delete_file``, its file goes too, but only if it is a regular file (not a
        link or folder), its content still has the recorded SHA-256, and no other picture
        uses that path. The row and the file go together: if the file cannot be deleted
        the row stays and :class:`HistoryError` says why. A file already gone is fine.

        Raises:
            HistoryError: ``history.error.file_changed``, ``history.error.file_not_deleted``.
        """
        picture = self.get_picture(picture_id)
        if picture is None:
            return False
        with self._write() as db:
            db.execute("DELETE FROM pictures WHERE id = ?", (picture_id,))
            if delete_file and picture.path:
                shared = db.execute("SELECT 1 FROM pictures WHERE path = ? LIMIT 1", (picture.path,)).fetchone()
                if not shared:
                    _delete_file(picture)
        return True

    def _pictures_of_turns(self, turn_ids: list[int]) -> list[Picture]:
        if not turn_ids:
            return []
        marks = ",".join("?" * len(turn_ids))
        rows = self._db.execute(
            f"SELECT {PICTURE_COLUMNS} FROM pictures WHERE turn_id IN ({marks}) ORDER BY created, id", turn_ids
        )
        return [picture_from_row(row) for row in rows]

    # -- import -------------------------------------------------------------------------

    @guarded
    def known_files(self) -> tuple[set[str], set[str]]:
        """The paths and the SHA-256 digests of every picture in the gallery."""
        paths, digests = set(), set()
        for path, digest in self._db.execute("SELECT path, sha256 FROM pictures"):
            paths.add(path)
            digests.add(digest)
        digests.discard("")
        paths.discard("")
        return paths, digests

    def import_folder(self, folder: Path | str, depth: int = 0) -> ImportResult:
        """Add the PNGs of ``folder`` that carry a recipe (A1111 ``parameters`` or a ComfyUI
        ``prompt``) and are not in the gallery yet. ``depth`` 1 also looks one folder down.

        Raises:
            HistoryError: ``history.import.not_a_folder`` / ``history.import.unreadable``.
        """
        from g2d_tui.services.history.importer import scan_folder

        paths, digests = self.known_files()
        scan = scan_folder(Path(folder), depth, paths, digests)
        self.add_pictures(scan.pictures)
        return scan.result


def _conditions(filter: PictureFilter | None) -> tuple[list[str] | None, list[object]]:
    """SQL conditions and parameters for ``filter``; None when nothing can match."""
    where: list[str] = []
    params: list[object] = []
    if filter is None:
        return where, params
    if filter.text.strip():
        query = fts_query(filter.text)
        if not query:
            return None, []
        where.append("id IN (SELECT rowid FROM pictures_fts WHERE pictures_fts MATCH ?)")
        params.append(query)
    if filter.conversation_id is not None:
        where.append("conversation_id = ?")
        params.append(filter.conversation_id)
    if filter.parent_id is not None:
        where.append("parent_id = ?")
        params.append(filter.parent_id)
    return where, params


def _delete_file(picture: Picture) -> None:
    """Delete ``picture``'s file if it is still the one recorded (see ``remove_picture``)."""
    path = Path(picture.path)
    try:
        if not path.exists() and not path.is_symlink():
            return
        if path.is_symlink() or not path.is_file():
            raise HistoryError("history.error.file_changed", path=str(path))
        if picture.sha256 and file_sha256(path) != picture.sha256:
            raise HistoryError("history.error.file_changed", path=str(path))
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as error:
        reason = os_cause(error)
        raise HistoryError("history.error.file_not_deleted", path=str(path), reason=error.strerror or reason) from None
