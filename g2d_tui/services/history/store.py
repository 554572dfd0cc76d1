"""HistoryStore: conversations, their turns and the picture gallery, in one SQLite file.

Synchronous, and bound to the thread that opened it (sqlite3 connections are): the app
uses it through :class:`~g2d_tui.services.history.facade.AsyncHistory`, which runs every
call in one dedicated thread. Every write commits at once, so a crash loses at most what
was in flight. No method raises a sqlite3 exception: opening fails with
:class:`HistoryUnavailable`, anything later with :class:`HistoryError`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from g2d_tui.conversation import STORED_STATES, Conversation, Turn, now
from g2d_tui.services.history import search
from g2d_tui.services.history.errors import HistoryError, guarded
from g2d_tui.services.history.gallery import GalleryMixin
from g2d_tui.services.history.opening import open_connection, request_check
from g2d_tui.services.history.records import (
    CONVERSATION_COLUMNS,
    TURN_COLUMNS,
    SearchHit,
    conversation_from_row,
    title_from_request,
    to_db_time,
    turn_from_row,
)

DEFAULT_BUSY_TIMEOUT = 5.0
STORED_ROLES = ("user", "model", "image")


class HistoryStore(GalleryMixin):
    """The app's memory. Create it with :meth:`open`; use it from one thread only."""

    def __init__(self, connection: sqlite3.Connection, path: Path, damaged_copy: Path | None = None) -> None:
        self._connection: sqlite3.Connection | None = connection
        self.path = path
        """The database file."""
        self.damaged_copy = damaged_copy
        """Where a damaged store found at open was kept (``history.sqlite3.damaged-…``),
        else None. The UI says so with ``t("history.recovered", path=...)``."""

    @classmethod
    def open(
        cls, path: Path | str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, check_integrity: bool | None = None,
    ) -> HistoryStore:
        """Open (creating or migrating as needed) the store at ``path``.

        Args:
            path: the database file; default :func:`g2d_tui.paths.history_path` (which
                honours ``$G2D_TUI_DATA``).
            busy_timeout: seconds to wait for another process's lock, at open and on writes.
            check_integrity: read the whole file for damage now (``PRAGMA quick_check``);
                None (default): only when the last session met damage.

        Raises:
            HistoryUnavailable: the app should run without history; its key says why.
        """
        from g2d_tui.paths import history_path

        target = history_path(path)
        connection, kept = open_connection(target, busy_timeout, check_integrity)
        return cls(connection, target, kept)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL); further calls raise ``history.error.closed``.

        Runs ``PRAGMA optimize`` first, as SQLite advises, so the query planner keeps
        statistics that match the data (bounded by ``analysis_limit``: a few ms).
        """
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute("PRAGMA analysis_limit = 400")
            connection.execute("PRAGMA optimize")
        except sqlite3.Error:
            pass  # only statistics
        try:
            connection.close()
        except sqlite3.Error:
            pass  # every write was committed already: nothing to lose

    def _damage_seen(self) -> None:
        """A query met a damaged page: the next open checks the file and sets it aside."""
        request_check(self.path)

    @property
    def closed(self) -> bool:
        return self._connection is None

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise HistoryError("history.error.closed")
        return self._connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed at the end or rolled back on any error."""
        connection = self._db
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                try:
                    connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    # -- conversations ------------------------------------------------------------------

    @guarded
    def create_conversation(self, title: str = "", model: str = "", created: datetime | None = None) -> Conversation:
        """A new, empty conversation (stored at once)."""
        created = created or now()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO conversations(title, model, created, updated) VALUES (?, ?, ?, ?)",
                (title, model, to_db_time(created), to_db_time(created)),
            )
        return Conversation(title=title, model=model, created=created, updated=created, id=cursor.lastrowid)

    @guarded
    def get_conversation(self, conversation_id: int) -> Conversation | None:
        row = self._db.execute(f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", (conversation_id,)).fetchone()
        return conversation_from_row(row) if row else None

    @guarded
    def last_conversation(self) -> Conversation | None:
        """The conversation updated most recently (to resume at start), or None."""
        page = self.conversations(limit=1)
        return page[0] if page else None

    @guarded
    def conversations(self, limit: int = 50, before: Conversation | None = None) -> list[Conversation]:
        """Conversations, most recently updated first, with their turn and picture counts.

        Args:
            limit: the page size.
            before: the last conversation of the previous page; None for the first page.
        """
        where, params = "", []
        if before is not None and before.id is not None:
            where = "WHERE (c.updated, c.id) < (?, ?)"
            params = [to_db_time(before.updated), before.id]
        rows = self._db.execute(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations c {where} ORDER BY c.updated DESC, c.id DESC LIMIT ?",
            [*params, max(0, limit)],
        )
        return [conversation_from_row(row) for row in rows]

    @guarded
    def conversation_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM conversations").fetchone()[0]

    @guarded
    def rename(self, conversation_id: int, title: str) -> bool:
        """Set a conversation's title; False if there is no such conversation."""
        with self._write() as db:
            cursor = db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
        return cursor.rowcount > 0

    @guarded
    def touch(self, conversation_id: int, when: datetime | None = None) -> bool:
        """Mark a conversation as updated at ``when`` (default now); False if it does not exist."""
        with self._write() as db:
            cursor = db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (to_db_time(when or now()), conversation_id))
        return cursor.rowcount > 0

    @guarded
    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation and its turns; its pictures stay in the gallery, unlinked."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return cursor.rowcount > 0

    @guarded
    def search_conversations(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Conversations whose title or turns contain every word of ``query`` (the last
        word as a prefix), best match first. Any text is a valid query."""
        return search.search_conversations(self._db, query, limit)

    # -- turns --------------------------------------------------------------------------

    @guarded
    def add_turn(self, conversation_id: int, turn: Turn) -> int:
        """Store a finished turn at the end of the conversation, with its pictures.

        Commits at once. Pictures without an id are added; pictures already stored (saved
        before the turn ended) are linked to it. Sets ``turn.id``, ``turn.seq``,
        ``turn.conversation_id`` and the pictures' ids and links; moves the conversation's
        ``updated`` to the turn's time; gives an untitled conversation a title from its
        first user or image turn.

        Raises:
            ValueError: a note, or a turn still streaming (neither is ever stored).
            HistoryError: ``history.error.missing`` if the conversation does not exist.
        """
        if turn.role not in STORED_ROLES or turn.state not in STORED_STATES:
            raise ValueError(f"only finished user, model and image turns are stored, not {turn.role}/{turn.state}")
        with self._write() as db:
            seq = db.execute(
                "SELECT coalesce(max(seq) + 1, 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO turns(conversation_id, seq, role, text, state, model, tokens_in, tokens_out, detail, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, seq, turn.role, turn.text, turn.state, turn.model, turn.tokens_in,
                 turn.tokens_out, turn.detail, to_db_time(turn.created)),
            )
            turn_id = cursor.lastrowid
            db.execute(
                "UPDATE conversations SET updated = max(updated, ?) WHERE id = ?", (to_db_time(turn.created), conversation_id)
            )
            if turn.role in ("user", "image"):
                db.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (title_from_request(turn.text), conversation_id),
                )
            for picture in turn.pictures:
                picture.conversation_id, picture.turn_id = conversation_id, turn_id
            saved = [picture.id for picture in turn.pictures if picture.id is not None]
            db.executemany(  # pictures stored before the turn ended (saved early) join it
                "UPDATE pictures SET conversation_id = ?, turn_id = ? WHERE id = ?",
                [(conversation_id, turn_id, picture_id) for picture_id in saved],
            )
            new_pictures = [picture for picture in turn.pictures if picture.id is None]
            ids = self._insert_pictures(db, new_pictures)
        for picture, picture_id in zip(new_pictures, ids, strict=True):
            picture.id = picture_id
        turn.id, turn.seq, turn.conversation_id = turn_id, seq, conversation_id
        return turn_id

    @guarded
    def update_turn(self, turn: Turn) -> bool:
        """Rewrite a stored turn's text, state, model, token counts and detail (by ``turn.id``)."""
        if turn.id is None:
            return False
        if turn.state not in STORED_STATES:
            raise ValueError(f"a stored turn cannot become {turn.state}")
        with self._write() as db:
            cursor = db.execute(
                "UPDATE turns SET text = ?, state = ?, model = ?, tokens_in = ?, tokens_out = ?, detail = ? WHERE id = ?",
                (turn.text, turn.state, turn.model, turn.tokens_in, turn.tokens_out, turn.detail, turn.id),
            )
        return cursor.rowcount > 0

    @guarded
    def turns(self, conversation_id: int, start: int = 0, count: int = 50) -> list[Turn]:
        """``count`` turns of a conversation from position ``start`` (0 = first), oldest
        first, image turns with their pictures. Negative ``start`` counts from the end."""
        if start < 0:
            start = max(0, self.turn_count(conversation_id) + start)
        return self._turn_window(conversation_id, start, max(0, count))

    def _turn_window(self, conversation_id: int, start: int, limit: int) -> list[Turn]:
        """Turns from position ``start``; ``limit`` -1 means all of them."""
        rows = self._db.execute(
            f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY seq LIMIT ? OFFSET ?",
            (conversation_id, limit, start),
        ).fetchall()
        turns = [turn_from_row(row) for row in rows]
        image_turns = {turn.id: turn for turn in turns if turn.role == "image"}
        for picture in self._pictures_of_turns(list(image_turns)):
            image_turns[picture.turn_id].pictures.append(picture)
        return turns

    @guarded
    def turn_count(self, conversation_id: int) -> int:
        return self._db.execute("SELECT count(*) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]

    @guarded
    def all_turns(self, conversation_id: int) -> list[Turn]:
        """Every turn of a conversation (for export); the chat log uses :meth:`turns`."""
        return self._turn_window(conversation_id, 0, -1)

    # -- export -------------------------------------------------------------------------

    def export_markdown(self, conversation_id: int, folder: Path | str) -> Path:
        """Write the conversation as Markdown into ``folder``; returns the file's path.

        Raises:
            HistoryError: ``history.error.missing`` or ``history.export.*``.
        """
        from g2d_tui.services.history import export

        conversation, turns = self._for_export(conversation_id)
        return export.write_markdown(conversation, turns, Path(folder))

    def export_json(self, conversation_id: int, folder: Path | str) -> Path:
        """Write the conversation, every field, as JSON into ``folder``; returns the file's path."""
        from g2d_tui.services.history import export

        conversation, turns = self._for_export(conversation_id)
        return export.write_json(conversation, turns, Path(folder))

    @guarded
    def _for_export(self, conversation_id: int) -> tuple[Conversation, list[Turn]]:
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            raise HistoryError("history.error.missing")
        return conversation, self.all_turns(conversation_id)
