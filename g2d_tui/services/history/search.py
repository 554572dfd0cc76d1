"""Full-text search (SQLite FTS5) over conversations, safe for any input.

What the user types is never FTS5 syntax: every word becomes a quoted string (``"and"``,
``"near("`` are words like any other), the last one a prefix (``"fox"*``) once it has
three characters, and words without a letter or digit (lone quotes, brackets, emoji) are
dropped, as the tokenizer would drop them. So no query the user can type is a syntax
error (see :mod:`~g2d_tui.services.history.snippets`).
"""

from __future__ import annotations

import sqlite3

from g2d_tui.services.history.records import CONVERSATION_COLUMNS, SearchHit, conversation_from_row
from g2d_tui.services.history.snippets import excerpt, terms

MAX_SCANNED_TURNS = 50_000


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression finding every word of ``text``; ``""`` when it has none."""
    return terms(text).fts_query()


def search_conversations(connection: sqlite3.Connection, text: str, limit: int) -> list[SearchHit]:
    """Conversations whose title or a turn holds every word of ``text``.

    Title matches come first (most recently updated first), then conversations by their
    most recent matching turn. Turns are read newest first and the scan stops once
    ``limit`` conversations are found, so a word found in every turn costs no more than a
    rare one (ranking by relevance would score every match: ~40 ms for a word in 20,000
    turns, against ~1 ms).
    """
    query = terms(text)
    match = query.fts_query()
    if not match or limit <= 0:
        return []
    try:
        titled = [row[0] for row in connection.execute(
            "SELECT c.id FROM conversations_fts JOIN conversations c ON c.id = conversations_fts.rowid"
            " WHERE conversations_fts MATCH ? ORDER BY c.updated DESC, c.id DESC LIMIT ?",
            (match, limit),
        )]
        mentions = _newest_mentions(connection, match, limit - len(titled), exclude=set(titled))
    except sqlite3.OperationalError as error:
        if "fts5" in str(error).lower():  # a query form we did not foresee: find nothing
            return []
        raise
    order = [*titled, *mentions]
    if not order:
        return []
    conversations = {
        row[0]: conversation_from_row(row)
        for row in connection.execute(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id IN ({_marks(order)})", order
        )
    }
    turn_ids = list(mentions.values())
    turns = {
        turn_id: (seq, body)
        for turn_id, seq, body in connection.execute(f"SELECT id, seq, text FROM turns WHERE id IN ({_marks(turn_ids)})", turn_ids)
    } if turn_ids else {}
    hits = []
    for conversation_id in order:
        conversation = conversations.get(conversation_id)
        if conversation is None:
            continue
        turn_id = mentions.get(conversation_id)
        if turn_id is None:
            snippet, highlights = excerpt(conversation.title, query, words=len(conversation.title))
            hits.append(SearchHit(conversation, snippet, highlights))
        else:
            seq, body = turns.get(turn_id, (None, ""))
            snippet, highlights = excerpt(body, query)
            hits.append(SearchHit(conversation, snippet, highlights, turn_id, seq))
    return hits


def _newest_mentions(connection: sqlite3.Connection, match: str, limit: int, exclude: set[int]) -> dict[int, int]:
    """``{conversation id: id of its newest matching turn}`` for up to ``limit``
    conversations, newest mention first (turn ids grow with time)."""
    found: dict[int, int] = {}
    if limit <= 0:
        return found
    rows = connection.execute(
        "SELECT t.conversation_id, t.id FROM turns_fts JOIN turns t ON t.id = turns_fts.rowid"
        " WHERE turns_fts MATCH ? ORDER BY turns_fts.rowid DESC LIMIT ?",
        (match, MAX_SCANNED_TURNS),
    )
    for conversation_id, turn_id in rows:
        if conversation_id not in found and conversation_id not in exclude:
            found[conversation_id] = turn_id
            if len(found) >= limit:
                break
    rows.close()
    return found


def _marks(values: list) -> str:
    return ",".join("?" * len(values))
