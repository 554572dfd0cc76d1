"""Rows to records and back, the small result types of the store, and conversation titles."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from g2d_tui.conversation import Conversation, Picture, Turn
from g2d_tui.services.sanitize import clean_line

TITLE_LIMIT = 60
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class PictureFilter:
    """Which pictures the gallery shows. Empty fields do not filter."""

    text: str = ""
    """Words to find in the prompt, negative prompt, request or model (the last as a prefix)."""
    conversation_id: int | None = None
    parent_id: int | None = None
    """Only the edits and variations of this picture."""


@dataclass(frozen=True)
class SearchHit:
    """A conversation found by :meth:`HistoryStore.search_conversations`."""

    conversation: Conversation
    snippet: str
    """A short, one-line excerpt around the match (from the title or a turn); plain text."""
    highlights: tuple[tuple[int, int], ...] = ()
    """``(start, end)`` offsets in ``snippet`` of the words that matched, for the UI to style."""
    turn_id: int | None = None
    """The turn the snippet comes from; None when the title matched."""
    turn_seq: int | None = None
    """That turn's position in the conversation (for :meth:`HistoryStore.turns`)."""


@dataclass(frozen=True)
class ImportResult:
    """What :meth:`HistoryStore.import_folder` did with the files it looked at."""

    added: int = 0
    skipped: int = 0
    """Already in the gallery (same path or same content) or without a recipe."""
    unreadable: int = 0
    """Not a PNG, damaged, too large, or unreadable."""


# -- times ------------------------------------------------------------------------------


def to_db_time(moment: datetime) -> str:
    """``moment`` as UTC ISO 8601 text with microseconds (naive times are taken as local)."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_time(text: str) -> datetime:
    """A stored time, aware, in the local time zone."""
    return datetime.fromisoformat(text).astimezone()


# -- values -----------------------------------------------------------------------------


def seed_to_db(seed: int | None) -> int | str | None:
    """Seeds beyond SQLite's 64-bit integers (ComfyUI's go to 2**64 - 1) are stored as text."""
    if seed is None:
        return None
    return seed if _INT64[0] <= seed <= _INT64[1] else str(seed)


def seed_from_db(value: object) -> int | None:
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


# -- rows -------------------------------------------------------------------------------

CONVERSATION_COLUMNS = (
    "c.id, c.title, c.model, c.created, c.updated,"
    " (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id),"
    " (SELECT count(*) FROM pictures p WHERE p.conversation_id = c.id)"
)
TURN_COLUMNS = "id, conversation_id, seq, role, text, state, model, tokens_in, tokens_out, detail, created"
PICTURE_FIELDS = (
    "path", "sha256", "file_size", "width", "height", "prompt", "negative_prompt", "seed", "steps",
    "guidance_scale", "model", "backend", "provider", "request", "parent_id", "conversation_id",
    "turn_id", "created",
)
PICTURE_COLUMNS = "id, " + ", ".join(PICTURE_FIELDS)


def conversation_from_row(row: sqlite3.Row | tuple) -> Conversation:
    cid, title, model, created, updated, turn_count, picture_count = row
    return Conversation(
        title=title, model=model, created=from_db_time(created), updated=from_db_time(updated),
        id=cid, turn_count=turn_count, picture_count=picture_count,
    )


def turn_from_row(row: sqlite3.Row | tuple) -> Turn:
    tid, cid, seq, role, text, state, model, tokens_in, tokens_out, detail, created = row
    return Turn(
        role=role, text=text, state=state, model=model, created=from_db_time(created),
        tokens_in=tokens_in, tokens_out=tokens_out, detail=detail, conversation_id=cid, id=tid, seq=seq,
    )


def picture_from_row(row: sqlite3.Row | tuple) -> Picture:
    values = dict(zip(("id", *PICTURE_FIELDS), row, strict=True))
    values["seed"] = seed_from_db(values["seed"])
    values["created"] = from_db_time(values["created"])
    return Picture(**values)


def picture_values(picture: Picture) -> tuple:
    """The values of :data:`PICTURE_FIELDS` for ``picture``, in that order."""
    return (
        str(picture.path), picture.sha256, int(picture.file_size), int(picture.width), int(picture.height),
        picture.prompt, picture.negative_prompt, seed_to_db(picture.seed), picture.steps,
        picture.guidance_scale, picture.model, picture.backend, picture.provider, picture.request,
        picture.parent_id, picture.conversation_id, picture.turn_id, to_db_time(picture.created),
    )


# -- titles -----------------------------------------------------------------------------

_LEADING_COMMAND = re.compile(r"^/[a-z][a-z-]*\s+", re.IGNORECASE)


def title_from_request(text: str, limit: int = TITLE_LIMIT) -> str:
    """A conversation title from its first request: one clean line, at most ``limit`` characters.

    A leading slash command (``/imagine``) is dropped; longer text is cut at the last word
    boundary that fits and ends in ``…``. Empty text gives ``""`` (the UI says "Untitled").
    """
    line = clean_line(text)
    line = _LEADING_COMMAND.sub("", line, count=1).strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a word boundary not too far back; else cut inside a long word
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"
