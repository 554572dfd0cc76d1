"""What the conversations screen and the gallery share: the store (or why there is none), the
chat screen under them, errors said plainly, and a throttle for what the user types."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from g2d_tui.i18n import t

if TYPE_CHECKING:
    from textual.timer import Timer

    from g2d_tui.screens.app_host import AppHost
    from g2d_tui.screens.chat import ChatScreen
    from g2d_tui.services.errors import ServiceError
    from g2d_tui.services.history import AsyncHistory

TYPING_DELAY = 0.05
"""Seconds between two searches while the user types: the first runs at once, the rest
are merged into one that runs this long after the previous one."""


class MemoryScreen(Screen[None]):
    """A screen over the history store: the conversations or the gallery."""

    app: AppHost

    @property
    def chat(self) -> ChatScreen | None:
        """The chat screen under this one (the app always has one)."""
        from g2d_tui.screens.chat import ChatScreen

        return next((screen for screen in self.app.screen_stack if isinstance(screen, ChatScreen)), None)

    async def history(self) -> AsyncHistory | None:
        """The store, once the chat has opened it; None when the app runs without history."""
        chat = self.chat
        if self.app.history is None and chat is not None:
            await chat.session.opened.wait()  # set even when the store could not be opened
        return self.app.history

    def unavailable_text(self) -> str:
        """Why there is no history, as far as it is known."""
        chat = self.chat
        error = chat.session.unavailable if chat is not None else None
        if error is None:
            return t("memory.unavailable")
        return t("memory.unavailable_because", reason=error.message())

    def report(self, error: ServiceError) -> None:
        self.notify(error.message(), severity="error", timeout=10)

    def back_to_chat(self) -> ChatScreen | None:
        """Close this screen (and anything above the chat); the chat screen, now on top."""
        chat = self.chat
        if chat is None:
            return None
        while self.app.screen is not chat and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        return chat


class Throttle:
    """Calls ``call`` with the latest arguments: at once when it has not run for ``delay``
    seconds, else once, ``delay`` after its previous run (what is typed meanwhile is merged)."""

    def __init__(self, owner: Screen, call: Callable[..., Any], delay: float = TYPING_DELAY) -> None:
        self._owner = owner
        self._call = call
        self._delay = delay
        self._last = float("-inf")
        self._timer: Timer | None = None
        self._args: tuple = ()

    def __call__(self, *args: Any) -> None:
        self._args = args
        if self._timer is not None:
            return  # already due: it will use these arguments
        wait = self._last + self._delay - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self._timer = self._owner.set_timer(wait, self._run)

    def _run(self) -> None:
        self._timer = None
        self._last = time.monotonic()
        self._call(*self._args)
