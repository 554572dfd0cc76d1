"""The two model pickers of the chat's top bar (F3 chat model, F4 image model).

A component of the chat screen: it mounts the pickers after the first frame, fills the chat
picker from the API, persists what the user picks — and only that: filling a picker must
never change the chosen model — and gives the focus back to the message box once a picker
closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Select

from g2d_tui import hooks
from g2d_tui.services.errors import ServiceError
from g2d_tui.widgets.model_name import ModelName

if TYPE_CHECKING:
    from g2d_tui.screens.chat import ChatScreen
    from g2d_tui.settings.model import Settings

MAX_OPTIONS = 500
"""Models shown in a picker: a server listing thousands must not make it slow to open."""


def _options(names: list[str], current: str) -> list[tuple[ModelName, str]]:
    from g2d_tui.i18n import t

    names = list(dict.fromkeys(names))[:MAX_OPTIONS]
    if current not in names:
        names.insert(0, current)
    # ModelName: plain text (a name is never markup), shortened in the middle in the closed
    # box and whole in the open list. An empty name is the server's own default.
    return [(ModelName(name or t("chat.image_model_default")), name) for name in names]


class ModelPickers:
    """The chat and image model pickers of one chat screen."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self._mounted = False
        self._open_when_mounted: str | None = None
        self._listed_image_models: list[str] = []
        """What the active backend's server listed (A1111 checkpoints, Gemini image models...)."""

    @property
    def app(self):
        return self.screen.app

    def image_model(self, settings: Settings | None = None) -> str:
        return (settings or self.app.settings).images.model

    def image_models(self, settings: Settings | None = None) -> list[str]:
        """The active backend's known models before its server is asked (see :meth:`load_image_models`)."""
        from g2d_tui.services.images import model_choices

        return [*model_choices(settings or self.app.settings), *self._listed_image_models]

    async def mount(self) -> None:
        settings = self.app.settings
        chat = Select(_options(self.app.chat_models, settings.gemini.model), value=settings.gemini.model, allow_blank=False, id="chat-model", compact=True)
        image = Select(_options(self.image_models(), self.image_model()), value=self.image_model(), allow_blank=False, id="image-model", compact=True)
        await self.screen.query_one("#top-bar").mount_all([chat, image])
        for picker in (chat, image):
            self.screen.watch(picker, "expanded", self._expanded_changed, init=False)
        self.screen.call_after_refresh(self._mounted_now)

    def _mounted_now(self) -> None:
        self._mounted = True
        if self._open_when_mounted is not None:
            picker_id, self._open_when_mounted = self._open_when_mounted, None
            self.open(picker_id)

    def picker(self, picker_id: str) -> Select | None:
        return self.screen.query_one_optional(picker_id, Select) if self._mounted else None

    def open(self, picker_id: str) -> None:
        """Open a picker's list; asked before the pickers are there, it opens once they are."""
        picker = self.picker(picker_id)
        if picker is None:
            self._open_when_mounted = picker_id
            return
        picker.focus()
        picker.action_show_overlay()

    def _expanded_changed(self, expanded: bool) -> None:
        if not expanded:
            # After the refresh: the Select focuses itself once its list closes.
            self.screen.call_after_refresh(self._focus_message_box)

    def _focus_message_box(self) -> None:
        """A picker's list closed (picked, escaped, clicked away): back to typing — unless
        the other picker is open now (F3 then F4) or the focus went somewhere else."""
        pickers = list(self.screen.query("#top-bar Select").results(Select))
        if any(picker.expanded for picker in pickers):
            return
        focused = self.screen.focused
        if focused is None or any(picker in focused.ancestors_with_self for picker in pickers):
            self.screen.prompt_input.focus()

    def _set(self, picker_id: str, options: list[tuple[ModelName, str]], value: str) -> None:
        """Fill a picker without it reporting a change: only the user's picks are saved."""
        picker = self.picker(picker_id)
        if picker is None or not picker.is_attached or not self.app.is_running:
            return  # a list that arrives as the app closes has nowhere to go
        with picker.prevent(Select.Changed):
            picker.set_options(options)
            picker.value = value

    def load_chat_models(self) -> None:
        # Best effort, as the image models: a failure keeps the configured model, never ends the app.
        self.screen.run_worker(self._load_chat_models(), group="models", exclusive=True, exit_on_error=False)

    async def _load_chat_models(self) -> None:
        """Fill the chat model picker from the API; on failure keep the configured model."""
        if self.app.key_guard.pending(chat=True):
            return  # the key would go out unencrypted: the list waits for the user's yes
        try:
            models = await self.app.gemini.list_models()
        except ServiceError as error:
            await self.screen.add_note("chat.models_unavailable", "warning", reason=error)
            return
        finally:
            hooks.announce("modules_loaded")  # the Gemini SDK is imported by now
        self.app.chat_models = [model.name for model in models]
        model = self.app.settings.gemini.model
        self._set("#chat-model", _options(self.app.chat_models, model), model)

    def load_image_models(self) -> None:
        self.screen.run_worker(self._load_image_models(), group="image-models", exclusive=True, exit_on_error=False)

    async def _load_image_models(self) -> None:
        """Add what the image backend's server offers to the image model picker (quietly: a
        server that is not running yet is said when the user draws, not at start)."""
        from g2d_tui.services.images import list_models

        backend = self.app.settings.images.backend
        if self.app.key_guard.pending(images=True):
            return  # the key would go out unencrypted: the list waits for the user's yes
        try:
            listed = await list_models(self.app.image_backend)
        except ServiceError:
            return
        if backend != self.app.settings.images.backend:
            return  # switched meanwhile
        self._listed_image_models = listed
        self._set("#image-model", _options(self.image_models(), self.image_model()), self.image_model())

    def settings_changed(self, settings: Settings) -> None:
        self._listed_image_models = []
        self._set("#chat-model", _options(self.app.chat_models, settings.gemini.model), settings.gemini.model)
        self._set("#image-model", _options(self.image_models(settings), self.image_model(settings)), self.image_model(settings))
        if self.app.effective.gemini_api_key and not self.app.chat_models:
            self.load_chat_models()
        self.load_image_models()

    def picked(self, picker_id: str, value: object) -> None:
        """The user picked ``value``: persist it."""
        if not isinstance(value, str):
            return
        settings = self.app.settings
        if picker_id == "chat-model" and value != settings.gemini.model:
            new = settings.copy()
            new.gemini.model = value
            self.screen.persist(new)
        elif picker_id == "image-model" and value != self.image_model():
            new = settings.copy()
            new.images.model = value
            self.screen.persist(new)
