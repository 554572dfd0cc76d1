"""Asks before a key goes to a server over plain http (see ``services.transport_safety``).

A base URL may point at a proxy or a test server. Over ``http://`` to another machine,
the key in the request's headers can be read by anyone on the way, so the first request
that would send it asks: *send anyway* or *don't send*. A yes is remembered for that key
and server until the app quits; a new URL asks again. Requests the user did not start
(the model lists filled at start) wait, silently, until a yes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from g2d_tui.i18n import t
from g2d_tui.services.sanitize import clean_line
from g2d_tui.services.transport_safety import KeyDestination, KeyNotSent, key_destinations

if TYPE_CHECKING:
    from g2d_tui.screens.app_host import AppHost
    from g2d_tui.screens.confirm import ConfirmScreen


class KeyGuard:
    """The app's answers, this session, to "send this key unencrypted to this server?"."""

    def __init__(self, app: AppHost) -> None:
        self.app = app
        self.allowed: set[tuple[str, str]] = set()
        """(key, origin) pairs the user said yes to."""
        self._one_question = asyncio.Lock()

    def pending(self, *, chat: bool = False, images: bool = False) -> list[KeyDestination]:
        """Where a request of this kind would send a key unencrypted without a yes yet.

        Args:
            chat: the request goes to Gemini (a message, the model list, an /imagine's prompt).
            images: the request goes to the image backend (a picture, its model list).
        """
        settings = self.app.settings
        found = key_destinations(
            self.app.effective, settings.images.backend, hf_provider=settings.images.huggingface.provider, chat=chat, images=images
        )
        return [destination for destination in found if (destination.key, destination.origin) not in self.allowed]

    async def confirm(self, *, chat: bool = False, images: bool = False) -> None:
        """Return once the request may go out; ask first where it would expose a key.

        Call it from a worker (it waits for the user's answer), right before the request.

        Raises:
            KeyNotSent: the user said no (or closed the question): send nothing.
        """
        if not self.pending(chat=chat, images=images):
            return
        async with self._one_question:  # a second request waits, then sees the first answer
            for destination in self.pending(chat=chat, images=images):
                if await self._ask(destination) != "send":
                    raise KeyNotSent(destination)
                self.allowed.add((destination.key, destination.origin))
                self._allowed_now()

    async def _ask(self, destination: KeyDestination) -> str | None:
        screen = self._question(destination)
        try:
            return await self.app.push_screen(screen, wait_for_dismiss=True)
        except asyncio.CancelledError:  # the request was cancelled meanwhile: the question goes too
            if self.app.screen is screen:
                self.app.pop_screen()
            raise

    @staticmethod
    def _question(destination: KeyDestination) -> ConfirmScreen:
        from g2d_tui.screens.confirm import ConfirmScreen

        params = {"key": t(f"transport.key.{destination.key}"), "url": clean_line(destination.origin, 120)}
        answers = [("cancel", t("transport.cancel"), "primary"), ("send", t("transport.send"), "error")]
        # The safe answer has the focus: an Enter pressed out of habit sends nothing.
        return ConfirmScreen(t("transport.title"), t("transport.body", **params), answers, focus="cancel")

    def _allowed_now(self) -> None:
        """Fill the model lists that waited for this yes."""
        for screen in self.app.screen_stack:
            pickers = getattr(screen, "pickers", None)
            if pickers is not None and hasattr(pickers, "load_image_models"):
                if self.app.effective.gemini_api_key and not self.app.chat_models:
                    pickers.load_chat_models()
                pickers.load_image_models()
