"""Messages that cross screens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message


@dataclass
class PromptSubmitted(Message):
    """The user pressed Enter in the prompt input."""

    text: str


@dataclass
class ScrollChat(Message):
    """Page the conversation up (negative) or down by ``pages`` screens."""

    pages: int


@dataclass
class ImageSaved(Message):
    """An image was written to disk."""

    path: Path
