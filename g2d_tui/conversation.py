"""The conversation as data: what the chat log shows, the store keeps and Gemini is sent.

One model for three consumers. The chat log draws turns from these records and keeps
widgets only for those near the viewport; the history store writes a turn when it ends;
the Gemini client is given the chat turns as its history. No Textual, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Role = Literal["user", "model", "image", "note"]
"""``image`` is one /imagine (or /edit) run and its picture; ``note`` is the app speaking
(welcome, errors): notes are shown but never stored or sent."""

TurnState = Literal["complete", "cancelled", "failed", "streaming", "truncated"]
"""``streaming`` only while a reply or picture is in flight; ``truncated``: the reply
stopped early (token limit, safety) but what came is kept and sent as history."""

STORED_STATES = ("complete", "cancelled", "failed", "truncated")


def now() -> datetime:
    """The current time, aware, in the local time zone."""
    return datetime.now().astimezone()


@dataclass
class Picture:
    """One picture made (or imported) by the app, with the recipe that made it."""

    path: str
    """Where the file is; empty while it is not saved."""
    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    width: int = 0
    height: int = 0
    model: str = ""
    backend: str = ""
    provider: str = ""
    request: str = ""
    """What the user typed after /imagine (or the /edit instruction)."""
    sha256: str = ""
    file_size: int = 0
    parent_id: int | None = None
    """The picture this one edits or varies (a new seed, a variation, an /edit)."""
    conversation_id: int | None = None
    turn_id: int | None = None
    created: datetime = field(default_factory=now)
    id: int | None = None


@dataclass
class Turn:
    """One entry of the conversation."""

    role: Role
    text: str
    """User: what was sent. Model: the reply. Image: the request. Note: the message."""
    state: TurnState = "complete"
    model: str = ""
    created: datetime = field(default_factory=now)
    tokens_in: int | None = None
    tokens_out: int | None = None
    detail: str = ""
    """Why a reply stopped early or failed, or the image card's error, as shown."""
    pictures: list[Picture] = field(default_factory=list)
    """For an image turn: the pictures it made (variations make several)."""
    conversation_id: int | None = None
    id: int | None = None
    seq: int | None = None
    """Position in its conversation (0 = first), set by the history store."""

    @property
    def is_chat(self) -> bool:
        """Part of what Gemini is sent as history: a user message or a reply with text."""
        return self.role in ("user", "model") and bool(self.text) and self.state != "failed"


@dataclass
class Conversation:
    """A conversation's header; its turns are loaded separately (they can be many)."""

    title: str = ""
    model: str = ""
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    id: int | None = None
    turn_count: int = 0
    picture_count: int = 0
