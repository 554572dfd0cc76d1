"""ChatScreen: the conversation, the prompt, the model pickers.

Replies and pictures are made by two components, :class:`~g2d_tui.screens.replies.ReplyFlow`
and :class:`~g2d_tui.screens.imagine.ImagineFlow`, whose workers belong to this screen.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Select, Static

from g2d_tui import hooks, slash
from g2d_tui.conversation import Turn
from g2d_tui.i18n import t
from g2d_tui.keys import bind
from g2d_tui.messages import PromptSubmitted, ScrollChat
from g2d_tui.paths import display_path
from g2d_tui.screens.imagine import DEFAULT_VARIATIONS, ImagineFlow
from g2d_tui.screens.key_notes import settle_missing_key_notes
from g2d_tui.screens.model_pickers import ModelPickers
from g2d_tui.screens.replies import ReplyFlow
from g2d_tui.screens.session import ConversationSession, entries_of
from g2d_tui.screens.warm_up import warm_up, widgets_mounted_later
from g2d_tui.widgets.chat_log import ChatLog, Entry
from g2d_tui.widgets.activity_line import ActivityLine
from g2d_tui.widgets.image_card import ImageCard
from g2d_tui.widgets.prompt_input import PromptInput
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt

if TYPE_CHECKING:
    from textual.widget import Widget

    from g2d_tui.screens.app_host import AppHost
    from g2d_tui.conversation import Conversation, Picture
    from g2d_tui.settings.model import Settings


STOP_TIMEOUT = 2.0
"""Seconds a cancelled reply or picture gets to end before another conversation is opened."""

WIDGETS = {"user": UserPrompt, "model": GeminiReply, "image": ImageCard, "note": Note}
"""The widget of each kind of entry."""


class ChatScreen(Screen[None]):
    """Chat with Gemini; ``/imagine`` turns a request into a picture."""

    app: AppHost
    BINDINGS = [
        bind("escape", "cancel", "cancel"),
        bind("ctrl+l", "new_chat", "new_chat"),
        bind("ctrl+y", "copy_reply", "copy_reply", priority=True),  # TextArea uses ctrl+y for redo
        bind("ctrl+s", "save_image", "save_image"),
        bind("f3", "pick_chat_model", "pick_chat_model", show=False),
        bind("f4", "pick_image_model", "pick_image_model", show=False),
        bind("ctrl+o", "app.open_images_folder", "open_images", show=False),
    ]

    # repaint=False: a change repaints the footer's bindings, not the whole screen.
    busy: reactive[bool] = reactive(False, bindings=True, repaint=False)
    """A reply is streaming."""
    imagining: reactive[int] = reactive(0, bindings=True, repaint=False)
    """How many /imagine runs are in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.replies = ReplyFlow(self)
        self.pictures = ImagineFlow(self)
        self.pickers = ModelPickers(self)
        self.session = ConversationSession(self)
        self.ready = False
        """The first frame is up and the work put off after it has been started."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Static("g2d-tui", id="app-title")
        yield ChatLog(self._widget_for, self._estimate, id="chat-log")
        yield ActivityLine(id="activity")
        yield PromptInput(id="prompt")
        yield Footer(compact=True)

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def prompt_input(self) -> PromptInput:
        return self.query_one(PromptInput)

    @staticmethod
    def _widget_for(entry: Entry) -> Widget:
        return WIDGETS[entry.role](entry)

    @staticmethod
    def _estimate(entry: Entry, width: int) -> int:
        return WIDGETS[entry.role].estimate(entry, width)

    async def on_mount(self) -> None:
        self.prompt_input.focus()
        self.set_interval(0.1, self._animate_activity)
        self.app.settings_changed_signal.subscribe(self, self._settings_changed)
        await self._welcome()
        # After the first frame, so the chat shows as soon as it can: the pickers are widgets to
        # style and lay out, and the model listing imports the Gemini SDK in a thread.
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        self.run_worker(self._open_history(), group="history-open", exit_on_error=False)
        await self.pickers.mount()
        if self.app.effective.gemini_api_key:
            self.pickers.load_chat_models()
        self.pickers.load_image_models()
        self._warm_up()
        hooks.announce("widgets_expected", app=self.app, widget_classes=widgets_mounted_later())
        self.ready = True

    async def _open_history(self) -> None:
        await self.session.open()
        if self.app.history is None or not self.app.settings.ui.resume:
            return
        conversation = await self.session.last_conversation()
        if conversation is not None and not any(entry.role != "note" for entry in self.log_view.entries):
            await self.bring_back(conversation)

    async def bring_back(self, conversation: Conversation) -> None:
        """Show ``conversation``'s turns and go on with it: Gemini gets its history."""
        from g2d_tui.services.gemini import Turn as GeminiTurn

        turns = await self.session.load(conversation)
        if not turns:
            return
        await self.log_view.prepend(entries_of(turns))
        self.app.gemini.reset([GeminiTurn(turn.role, turn.text) for turn in turns if turn.is_chat])
        title = conversation.title or t("history.export.untitled")
        await self.add_note("chat.resumed", title=title, count=len(turns))

    @work(group="open-conversation", exclusive=True, exit_on_error=False)
    async def open_conversation(self, conversation: Conversation) -> None:
        """Show ``conversation`` in place of the chat's (from the conversations screen): the
        reply or pictures in progress stop (and are kept where they were), then it comes back."""
        for worker in [*self.workers.cancel_group(self, "reply"), *self.workers.cancel_group(self, "imagine")]:
            try:  # let them end first, so their turns are stored in the conversation they belong to
                await asyncio.wait_for(worker.wait(), STOP_TIMEOUT)
            except (Exception, asyncio.TimeoutError):  # noqa: BLE001 - cancelled or failed: it has ended
                pass
        self.app.gemini.reset()
        self.session.new_conversation()
        await self.log_view.clear()
        hooks.announce("widgets_removed")
        await self.bring_back(conversation)
        self.prompt_input.focus()

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        warm_up(self.app.settings.images.backend)

    # -- notes -----------------------------------------------------------------------------

    async def add_note(self, key: str, level: str = "info", /, **params: object) -> Entry:
        """A message of the app in the log (not part of the conversation)."""
        return await self.log_view.add(Entry(Turn("note", ""), key=key, params=params, level=level))

    async def _welcome(self) -> None:
        app = self.app
        await self.add_note("chat.welcome")
        for problem in app.load_problems:
            await self.add_note(problem.key, "error", **problem.params)
        if app.config_backup is not None:
            await self.add_note("config.backup_made", "warning", path=display_path(app.config_backup))
        if app.load_problems:
            self.notify(t("config.problems_notice", count=len(app.load_problems)), severity="warning", timeout=10)
        missing = app.missing_keys()
        for key in missing:
            await self.add_note(key, "warning")
        if "keys.missing_gemini" in missing:
            self.notify(t("keys.opening_settings"), severity="warning", timeout=8)
            self.call_after_refresh(app.action_open_settings)

    # -- submitting ------------------------------------------------------------------------

    @on(ScrollChat)
    def _scroll_chat(self, event: ScrollChat) -> None:
        event.stop()
        log = self.log_view
        (log.action_page_up if event.pages < 0 else log.action_page_down)()

    @on(PromptSubmitted)
    async def _prompt_submitted(self, event: PromptSubmitted) -> None:
        event.stop()
        parsed = slash.parse(event.text)
        if isinstance(parsed, slash.Invalid):
            self.notify(t(parsed.key, command=parsed.command), severity="warning")
            return
        if isinstance(parsed, slash.Command):
            self.prompt_input.remember(event.text)
            await self._run_command(parsed.name)
            return
        if isinstance(parsed, slash.Chat) and self.busy:
            self.notify(t("chat.busy"), severity="warning")
            return
        if not self.app.effective.gemini_api_key:
            self.notify(t("keys.missing_gemini"), severity="error")
            self.app.action_open_settings()
            return
        self.prompt_input.remember(event.text)
        self.log_view.anchor()
        if isinstance(parsed, slash.Edit):
            await self._edit(parsed.instruction, event.text)
        elif isinstance(parsed, slash.Imagine):
            asked_by = await self.log_view.add(Entry(Turn("user", event.text.strip())))
            await self.pictures.imagine(parsed.request, event.text, asked_by)
        else:
            await self.replies.send(parsed.text, event.text)

    async def _edit(self, instruction: str, typed: str) -> None:
        """``/edit``: needs the Gemini image backend and a picture to change."""
        from g2d_tui.services.errors import ServiceError

        if self.app.settings.images.backend != "gemini":
            self.notify(t("imagine.edit_needs_gemini"), severity="warning", timeout=8)
            self.prompt_input.restore(typed)
            return
        source = self.pictures.latest_picture(self.focused)
        if source is None:
            self.notify(t("imagine.edit_nothing"), severity="warning")
            self.prompt_input.restore(typed)
            return
        asked_by = await self.log_view.add(Entry(Turn("user", typed.strip())))
        try:
            await self.pictures.edit(source, instruction, typed, asked_by)
        except ServiceError as error:
            self.notify(error.message(), severity="error")
            self.prompt_input.restore(typed)

    async def _run_command(self, name: str) -> None:
        if name == "new":
            await self.action_new_chat()
        elif name == "settings":
            self.app.action_open_settings()
        elif name == "help":
            await self.add_note("slash.help")
        elif name == "conversations":
            self.app.action_open_conversations()
        elif name == "gallery":
            self.app.action_open_gallery()

    # -- what the flows report -------------------------------------------------------------

    def turn_ended(self, entry: Entry) -> None:
        """A turn is over (complete, cancelled or failed): the conversation keeps it."""
        self.session.turn_ended(entry.turn)

    def picture_saved(self, entry: Entry, picture: Picture) -> None:
        """A picture of ``entry`` was written to its file: the gallery keeps it."""
        self.session.picture_saved(entry.turn, picture)

    def prompt_failed(self, asked_by: Entry | None, typed: str) -> None:
        """An /imagine failed: its line is marked, the text goes back into the input."""
        if asked_by is not None:
            asked_by.turn.state = "failed"
            widget = self.log_view.widget_of(asked_by)
            if isinstance(widget, UserPrompt):
                widget.mark_failed()
        self.prompt_input.restore(typed)

    # -- cards -----------------------------------------------------------------------------

    @on(ImageCard.PicturesWanted)
    def _pictures_wanted(self, event: ImageCard.PicturesWanted) -> None:
        event.stop()
        self.run_worker(self.pictures.pictures_wanted(event.card), group="pictures", exit_on_error=False)

    @on(ImageCard.Action)
    async def _card_action(self, event: ImageCard.Action) -> None:
        event.stop()
        entry, action = event.card.entry, event.action
        if action == "copy-prompt" and entry.run.prompt is not None:
            self.app.copy_to_clipboard(entry.run.prompt.prompt)
            self.notify(t("imagine.prompt_copied"))
        elif action == "save":
            self.save_entry(entry)
        elif action == "new-seed":
            await self.pictures.again(entry)
        elif action == "variations":
            await self.pictures.again(entry, DEFAULT_VARIATIONS)
        elif action == "retry":
            await self.pictures.retry(entry)

    @work(group="save-image", exit_on_error=False)
    async def save_entry(self, entry: Entry) -> None:
        await self.pictures.save_entry(entry)

    # -- settings --------------------------------------------------------------------------

    @on(Select.Changed, "#chat-model, #image-model")
    def _model_picked(self, event: Select.Changed) -> None:
        event.stop()
        self.pickers.picked(event.select.id or "", event.value)

    @work(group="persist")
    async def persist(self, new: Settings) -> None:
        await self.app.save_settings_or_report(new)

    def _settings_changed(self, settings: Settings) -> None:
        self.pickers.settings_changed(settings)
        self._settle_missing_key_notes()

    def _settle_missing_key_notes(self) -> None:
        settle_missing_key_notes(self.log_view, self.app.missing_keys())

    # -- actions ---------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "reply")
        self.workers.cancel_group(self, "imagine")

    async def action_new_chat(self) -> None:
        self.workers.cancel_group(self, "reply")
        self.workers.cancel_group(self, "imagine")
        self.app.gemini.reset()
        self.session.new_conversation()
        await self.log_view.clear()
        hooks.announce("widgets_removed")
        await self.add_note("chat.new_chat")
        self.prompt_input.focus()

    def action_copy_reply(self) -> None:
        replies = [entry for entry in self.log_view.entries if entry.role == "model" and entry.turn.text]
        if not replies:
            self.notify(t("chat.nothing_to_copy"), severity="warning")
            return
        self.app.copy_to_clipboard(replies[-1].turn.text)
        self.notify(t("chat.copied"))

    def action_save_image(self) -> None:
        entries = [entry for entry in self.log_view.entries if entry.role == "image" and entry.run.images]
        focused = self.focused
        chosen = next(
            (entry for entry in entries if focused is not None and entry.widget is not None and focused in entry.widget.walk_children()),
            entries[-1] if entries else None,
        )
        if chosen is None:
            saved = any(entry.run.saved for entry in self.log_view.entries if entry.role == "image")
            self.notify(t("imagine.already_saved" if saved else "imagine.nothing_to_save"), severity="warning")
            return
        self.save_entry(chosen)

    def action_pick_chat_model(self) -> None:
        self.pickers.open("#chat-model")

    def action_pick_image_model(self) -> None:
        self.pickers.open("#image-model")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy or self.imagining > 0
        return True

    def _animate_activity(self) -> None:
        self.query_one(ActivityLine).show(streaming=self.busy, imagining=self.imagining)

    def retranslate(self) -> None:
        self._animate_activity()
