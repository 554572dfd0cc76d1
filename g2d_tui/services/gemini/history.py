"""The conversation as Gemini is sent it: kept as built objects, extended turn by turn.

Building the whole history again for each message made the cost of a request grow with
the length of the chat. Here each turn's SDK ``Content`` is built once, the first time it
is sent, and kept; so is its wire form (a plain dict), which the tuning's gemini-direct
piece sends without the SDK validating the history again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from g2d_tui.services.gemini.prompts import estimate_tokens

TOKENS_PER_TURN = 4
"""Role and framing of a turn, on top of its text."""
SAFETY_MARGIN = 1.2
"""Estimated tokens are raised by a fifth: chars/4 undercounts some languages and code."""


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "model"]
    text: str


class ChatHistory:
    """User and model turns, alternating as Gemini expects them."""

    def __init__(self, turns: list[Turn] | None = None) -> None:
        self._turns: list[Turn] = []
        self._built: list[Any] = []
        """``types.Content`` for the first ``len(self._built)`` turns."""
        self._wire: list[dict[str, Any]] = []
        """Each turn as the API receives it."""
        self._tokens: list[int] = []
        self.replace(turns or [])

    @property
    def turns(self) -> list[Turn]:
        return list(self._turns)

    def __len__(self) -> int:
        return len(self._turns)

    def replace(self, turns: list[Turn]) -> None:
        """Start over with ``turns`` (a resumed conversation): pairs of user and model turns
        are kept, a user turn without an answer is left out (two user turns in a row are
        refused by some models)."""
        self._turns, self._built, self._tokens, self._wire = [], [], [], []
        pending: Turn | None = None
        for turn in turns:
            if turn.role == "user":
                pending = turn
            elif pending is not None and turn.text:
                self.add_exchange(pending.text, turn.text)
                pending = None

    def clear(self) -> None:
        self.replace([])

    def add_exchange(self, user_text: str, model_text: str) -> None:
        for turn in (Turn("user", user_text), Turn("model", model_text)):
            self._turns.append(turn)
            self._tokens.append(estimate_tokens(turn.text) + TOKENS_PER_TURN)
            self._wire.append({"role": turn.role, "parts": [{"text": turn.text}]})

    def first_sent(self, text: str, budget: int | None = None) -> int:
        """The first turn to send with a new message ``text`` (the ones before it are left
        out to stay within ``budget`` tokens).

        The oldest exchanges go first, whole (a user turn and its answer), so what is sent
        still alternates and starts with the user.
        """
        start = 0
        if budget is not None:
            needed = (estimate_tokens(text) + TOKENS_PER_TURN) * SAFETY_MARGIN
            total = sum(self._tokens) * SAFETY_MARGIN + needed
            while start < len(self._turns) and total > budget:
                total -= (self._tokens[start] + self._tokens[start + 1]) * SAFETY_MARGIN
                start += 2
        return start

    def built(self, start: int = 0) -> list[Any]:
        """The turns from ``start`` as SDK ``Content`` objects (each built once)."""
        from google.genai import types

        while len(self._built) < len(self._turns):
            turn = self._turns[len(self._built)]
            self._built.append(types.Content(role=turn.role, parts=[types.Part(text=turn.text)]))
        return self._built[start:]

    def wire(self, start: int = 0) -> list[dict[str, Any]]:
        """The turns from ``start`` in their wire form."""
        return self._wire[start:]

    def contents(self, text: str, budget: int | None = None) -> tuple[list[Any], int]:
        """What to send for a new message ``text``: the history's ``Content`` objects within
        ``budget`` and the new user turn, and how many old turns were left out."""
        from google.genai import types

        start = self.first_sent(text, budget)
        return [*self.built(start), types.Content(role="user", parts=[types.Part(text=text)])], start
