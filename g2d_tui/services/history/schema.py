"""The history database's schema, as a list of migration steps.

``PRAGMA user_version`` holds the number of steps applied. :func:`migrate` applies the
missing ones in one transaction, so a store is either fully at the new version or left
as it was. A released step is never edited: a change to the schema is a new step
appended to :data:`MIGRATIONS` (tests build every older version from the steps before it
and migrate it up).

Times are stored as UTC ISO 8601 text with microseconds (``2025-03-04T08:06:07.000000Z``):
readable in any SQLite tool, exact, and in the right order when compared as text.
"""

from __future__ import annotations

import sqlite3

_TOKENIZER = "unicode61 remove_diacritics 2"  # "cafe" finds "café"; case-insensitive

V1_TABLES = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'model', 'image')),
    text TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'complete'
        CHECK (state IN ('complete', 'cancelled', 'failed', 'truncated')),
    model TEXT NOT NULL DEFAULT '',
    tokens_in INTEGER,
    tokens_out INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    UNIQUE (conversation_id, seq)
);
-- seed has no declared type: ComfyUI seeds reach 2**64 - 1, beyond SQLite's integers,
-- and are kept as text then; a typed column would turn that text into a lossy REAL.
CREATE TABLE pictures (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL DEFAULT '',
    file_size INTEGER NOT NULL DEFAULT 0,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    seed,
    steps INTEGER,
    guidance_scale REAL,
    model TEXT NOT NULL DEFAULT '',
    backend TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL DEFAULT '',
    parent_id INTEGER REFERENCES pictures(id) ON DELETE SET NULL,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL,
    created TEXT NOT NULL
);
"""


def _search_index(table: str, *columns: str) -> str:
    """An FTS5 index of ``columns`` of ``table`` (external content: the text is not stored
    twice), kept up to date by triggers, and filled with what ``table`` holds now.

    Released steps are built with it and their text is frozen (test_history_migrations
    checks a digest of each): its output must never change. A different index is a new
    helper, or plain SQL, in a new step.
    """
    fts, names = f"{table}_fts", ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    wrap = " " if len(columns) == 1 else "\n    "  # several columns: the statements wrap
    return f"""
CREATE VIRTUAL TABLE {fts} USING fts5(
    {names},{wrap}content='{table}', content_rowid='id', tokenize='{_TOKENIZER}');
CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
    INSERT INTO {fts}(rowid, {names}){wrap}VALUES (new.id, {new});
END;
CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
    INSERT INTO {fts}({fts}, rowid, {names}){wrap}VALUES ('delete', old.id, {old});
END;
CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN
    INSERT INTO {fts}({fts}, rowid, {names}){wrap}VALUES ('delete', old.id, {old});
    INSERT INTO {fts}(rowid, {names}){wrap}VALUES (new.id, {new});
END;
INSERT INTO {fts}({fts}) VALUES ('rebuild');
"""


V2_SEARCH_AND_INDEXES = (
    """
-- Lists page newest first by (updated|created, id); foreign keys need an index on the
-- child side or every delete scans the child table.
CREATE INDEX conversations_by_updated ON conversations(updated, id);
CREATE INDEX pictures_by_created ON pictures(created, id);
CREATE INDEX pictures_by_conversation ON pictures(conversation_id);
CREATE INDEX pictures_by_turn ON pictures(turn_id);
CREATE INDEX pictures_by_parent ON pictures(parent_id);
CREATE INDEX pictures_by_sha256 ON pictures(sha256);
CREATE INDEX pictures_by_path ON pictures(path);
"""
    + _search_index("conversations", "title")
    + _search_index("turns", "text")
)

V3_PICTURE_SEARCH = _search_index("pictures", "prompt", "negative_prompt", "request", "model")

MIGRATIONS: tuple[str, ...] = (
    V1_TABLES,  # 1: conversations, turns, pictures
    V2_SEARCH_AND_INDEXES,  # 2: full-text search of titles and turns; list and foreign-key indexes
    V3_PICTURE_SEARCH,  # 3: full-text search of picture recipes (the gallery filter)
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The file was written by a newer g2d-tui; it is left untouched."""


def version(connection: sqlite3.Connection) -> int:
    """The number of migration steps applied to the database."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def apply(connection: sqlite3.Connection, steps: tuple[str, ...], start: int) -> None:
    """Run ``steps`` (numbered from ``start + 1``) inside the caller's transaction."""
    for number, step in enumerate(steps, start=start + 1):
        for statement in _statements(step):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {int(number)}")


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target`` in one transaction; returns the version found.

    The connection must be in autocommit mode (``isolation_level=None``). ``BEGIN
    IMMEDIATE`` takes the write lock first, so two processes opening an old store at the
    same time migrate it once.

    Raises:
        SchemaTooNew: the database is at a later version than this code knows.
        sqlite3.Error: the migration failed; nothing was changed.
    """
    found = version(connection)
    if found == target:
        return found
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(found)
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = version(connection)  # another process may have migrated while we waited
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(found)
        apply(connection, MIGRATIONS[found:target], found)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return found


def _statements(script: str) -> list[str]:
    """Split a step into statements (``executescript`` would commit our transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not current.strip():
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
