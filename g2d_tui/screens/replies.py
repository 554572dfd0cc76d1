"""Chat replies, as a component of the chat: a message goes out, the reply streams in.

The reply is written into its entry as it comes; its widget, when it is on screen, catches
up with the entry (it may have been scrolled away and built again meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from g2d_tui import hooks
from g2d_tui.conversation import Turn
from g2d_tui.i18n import t
from g2d_tui.services.errors import ServiceError, unexpected
from g2d_tui.widgets.chat_log import Entry
from g2d_tui.widgets.turns import GeminiReply

if TYPE_CHECKING:
    from g2d_tui.screens.chat import ChatScreen

STOP_KEYS = {"MAX_TOKENS": "chat.stopped.max_tokens", "SAFETY": "chat.stopped.safety", "RECITATION": "chat.stopped.recitation"}


PROMPT_FRAME_WAIT = 0.25
"""Seconds a reply's first chunk waits, at most, for the frame that shows the user's message."""


class ReplyFlow:
    """Sends chat messages of one chat screen and streams the replies (one at a time)."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen

    async def send(self, text: str, typed: str) -> None:
        screen = self.screen
        log = screen.log_view
        user = await log.add(Entry(Turn("user", text)))
        reply = await log.add(Entry(Turn("model", "", state="streaming", model=screen.app.settings.gemini.model)))
        screen.busy = True
        screen.run_worker(self._stream(text, user, reply, typed), group="reply", exclusive=True)

    def _widget(self, reply: Entry) -> GeminiReply | None:
        widget = self.screen.log_view.widget_of(reply)
        return widget if isinstance(widget, GeminiReply) else None

    async def _stream(self, text: str, user: Entry, reply: Entry, typed: str) -> None:
        """Stream Gemini's answer into ``reply``; on failure give the text back to the input."""
        screen = self.screen
        gemini = screen.app.gemini
        failed: ServiceError | None = None
        hooks.announce("reply_started")
        # The user's message is drawn before the first words of the reply: on a fast link
        # the reply's first chunks came in, and were laid out, ahead of the message's frame.
        prompt_drawn = asyncio.get_running_loop().create_future()
        screen.call_after_refresh(lambda: prompt_drawn.done() or prompt_drawn.set_result(None))
        try:
            await screen.app.key_guard.confirm(chat=True)  # plain http elsewhere: the user says first
            async for chunk in gemini.stream(text):  # the request is on its way meanwhile
                if not prompt_drawn.done():
                    with contextlib.suppress(TimeoutError):  # never held up for long, whatever the screens do
                        await asyncio.wait_for(prompt_drawn, PROMPT_FRAME_WAIT)
                reply.turn.text += chunk
                widget = self._widget(reply)
                if widget is not None:
                    await widget.catch_up()
        except ServiceError as error:
            failed = error
        except Exception as error:  # noqa: BLE001 - a bug: said in the chat, the app goes on
            failed = unexpected(error)
        except asyncio.CancelledError:
            reply.turn.state = "cancelled"  # the partial text stays on screen and in the history
            self._finish_outcome(user, reply)
            raise
        finally:
            widget = self._widget(reply)
            if widget is not None:
                await widget.catch_up()
                await widget.finish_stream()
            screen.busy = False
            hooks.announce("reply_finished")
            if reply.turn.state == "cancelled":
                self._show_state(reply)
                screen.turn_ended(user)
                screen.turn_ended(reply)
        outcome = gemini.last_outcome
        if outcome is not None and outcome.dropped_turns:
            await screen.add_note("chat.history_trimmed", "warning", count=outcome.dropped_turns)
        if failed is not None:
            await self._failed(failed, user, reply, typed)
            return
        if outcome is not None and outcome.truncated:
            reason = outcome.finish_reason or ""
            reply.turn.state = "truncated"
            reply.key, reply.params = STOP_KEYS.get(reason, "chat.stopped.other"), {"reason": reason}
            reply.turn.detail = t(reply.key, **reply.params)
        else:
            reply.turn.state = "complete"
        self._finish_outcome(user, reply)
        self._show_state(reply)
        screen.turn_ended(user)
        screen.turn_ended(reply)

    def _finish_outcome(self, user: Entry, reply: Entry) -> None:
        outcome = self.screen.app.gemini.last_outcome
        if outcome is not None:
            user.turn.tokens_in = reply.turn.tokens_in = outcome.tokens_in
            reply.turn.tokens_out = outcome.tokens_out

    def _show_state(self, reply: Entry) -> None:
        widget = self._widget(reply)
        if widget is not None:
            widget.sync_state()

    async def _failed(self, error: ServiceError, user: Entry, reply: Entry, typed: str) -> None:
        screen = self.screen
        user.turn.state = "failed"
        if reply.turn.text:
            reply.turn.state = "failed"
            reply.key, reply.params = error.key, dict(error.params)
            reply.turn.detail = error.message()
            self._show_state(reply)
            screen.turn_ended(reply)
        else:
            await screen.log_view.remove_entry(reply)
        user_widget = screen.log_view.widget_of(user)
        if user_widget is not None and hasattr(user_widget, "mark_failed"):
            user_widget.mark_failed()
        screen.turn_ended(user)
        await screen.add_note(error.key, "error", **error.params)
        screen.notify(error.message(), severity="error", timeout=8)
        screen.prompt_input.restore(typed)

    def cancel(self) -> None:
        self.screen.workers.cancel_group(self.screen, "reply")
