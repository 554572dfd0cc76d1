"""The chat's memory: turns and pictures written to the history store as they end, and the
last conversation brought back at start.

A component of the chat screen. Writes go through one queue, in order, so a reply is never
stored before the message it answers. A store that cannot be opened (or fails later) is
said once in the chat; the app then runs without history and nothing else changes.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from g2d_tui.conversation import STORED_STATES, Conversation, Picture, Turn
from g2d_tui.services.errors import ServiceError, unexpected
from g2d_tui.widgets.chat_log import Entry

if TYPE_CHECKING:
    from g2d_tui.screens.chat import ChatScreen
    from g2d_tui.services.history import AsyncHistory

RESUME_TURNS = 2000
"""At most this many turns of the last conversation come back (the newest)."""


class ConversationSession:
    """Which conversation the chat is, and its writes to the store."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.conversation: Conversation | None = None
        """The stored conversation, once its first turn was written (or it was resumed)."""
        self._in_order = asyncio.Lock()
        """Writes take it in the order they were asked for (asyncio's locks are fair)."""
        self._failed = False
        self.opened = asyncio.Event()
        """Set once the store was opened, or could not be: writes wait for it."""
        self.unavailable: ServiceError | None = None
        """Why the store could not be opened (the app then runs without history)."""

    @property
    def history(self) -> AsyncHistory | None:
        return self.screen.app.history

    # -- what the chat reports -------------------------------------------------------------

    def turn_ended(self, turn: Turn) -> None:
        if turn.role != "note" and turn.state in STORED_STATES:
            self._later(("turn", turn))

    def picture_saved(self, turn: Turn, picture: Picture) -> None:
        self._later(("picture", turn, picture))

    def new_conversation(self) -> None:
        """The next turn starts another conversation."""
        self._later(("new",))

    def switch_to(self, conversation: Conversation) -> None:
        """The next turns go on ``conversation`` (opened from the conversations screen)."""
        self._later(("switch", conversation))

    # -- writing -----------------------------------------------------------------------------

    def _later(self, item: tuple) -> None:
        self.screen.run_worker(self._write_in_order(item), group="history", exit_on_error=False)

    async def _write_in_order(self, item: tuple) -> None:
        async with self._in_order:
            await self.opened.wait()
            history = self.history
            if history is None:
                if item[0] in ("new", "switch"):
                    self.conversation = item[1] if item[0] == "switch" else None
                return  # no store (yet, or at all): the chat goes on without history
            try:
                try:
                    await self._write(history, item)
                except ServiceError:
                    raise
                except Exception as error:  # noqa: BLE001 - a bug: said once, the chat goes on
                    raise unexpected(error) from None
            except ServiceError as error:
                if not self._failed:  # said once; later turns may still be written
                    self._failed = True
                    await self.screen.add_note(error.key, "warning", **error.params)

    async def _write(self, history: AsyncHistory, item: tuple) -> None:
        kind = item[0]
        if kind == "new":
            self.conversation = None
        elif kind == "switch":
            self.conversation = item[1]
        elif kind == "turn":
            turn: Turn = item[1]
            conversation = await self._conversation(history)
            stored = replace(turn, pictures=list(turn.pictures))  # the store sets ids on it
            turn.id = await history.add_turn(conversation.id, stored)
            turn.conversation_id, turn.seq = conversation.id, stored.seq
        elif kind == "picture":
            turn, picture = item[1], item[2]
            if turn.id is not None:  # the turn is stored: the picture joins it
                picture.conversation_id, picture.turn_id = turn.conversation_id, turn.id
            elif self.conversation is not None:
                picture.conversation_id = self.conversation.id
            if picture.id is None:
                await history.add_picture(picture)
            else:
                await history.update_picture(picture)

    async def _conversation(self, history: AsyncHistory) -> Conversation:
        if self.conversation is None:
            self.conversation = await history.create_conversation(model=self.screen.app.settings.gemini.model)
        return self.conversation

    # -- opening, bringing one back ---------------------------------------------------------

    async def open(self) -> None:
        """Open the store (the app runs without history if it cannot) and say what happened."""
        from g2d_tui.paths import display_path, history_path
        from g2d_tui.services.history import AsyncHistory, HistoryUnavailable

        try:
            history = await AsyncHistory.open(history_path())
        except HistoryUnavailable as error:
            self.unavailable = error
            await self.screen.add_note(error.key, "warning", **error.params)
            return
        finally:
            self.opened.set()
        self.screen.app.history = history
        if history.damaged_copy is not None:
            await self.screen.add_note("history.recovered", "warning", path=display_path(history.damaged_copy))

    async def load(self, conversation: Conversation) -> list[Turn]:
        """The turns of ``conversation`` (the newest :data:`RESUME_TURNS`), and it becomes this one."""
        history = self.history
        if history is None:
            return []
        count = await history.turn_count(conversation.id)
        turns = await history.turns(conversation.id, start=max(0, count - RESUME_TURNS), count=RESUME_TURNS)
        self.switch_to(conversation)
        return turns

    async def last_conversation(self) -> Conversation | None:
        history = self.history
        return None if history is None else await history.last_conversation()


def entries_of(turns: list[Turn]) -> list[Entry]:
    """Log entries for stored turns: image turns get a run rebuilt from their pictures."""
    from g2d_tui.services.gemini import ImagePrompt
    from g2d_tui.widgets.image_card import ImageRun

    entries = []
    for turn in turns:
        entry = Entry(turn)
        if turn.role == "image":
            pictures = [picture for picture in turn.pictures if picture.path]
            first = pictures[0] if pictures else None
            run = ImageRun(request=turn.text, parent_id=first.parent_id if first else None)
            if first is not None:
                run.prompt = ImagePrompt(first.prompt, first.negative_prompt)
                run.saved = [picture.path for picture in pictures]
                run.state, run.status_key = "shown", "imagine.done"
                run.status_params = {"width": first.width, "height": first.height, "seed": first.seed if first.seed is not None else "—", "model": first.model}
            elif turn.state == "cancelled":
                run.state, run.status_key = "cancelled", "imagine.cancelled"
            else:
                run.state, run.status_key = "error", "imagine.failed_before"
                run.status_params = {"detail": turn.detail}
            entry.run = run
        elif turn.role == "model" and turn.state in ("failed", "truncated") and turn.detail:
            entry.key, entry.params = "chat.stored_detail", {"detail": turn.detail}
        entries.append(entry)
    return entries
