"""ChatScreen: the conversation, the prompt, the model pickers; owns the reply workers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Select, Static

from g2d_tui import gc_policy, slash, textual_fixes
from g2d_tui.i18n import t
from g2d_tui.keys import bind
from g2d_tui.paths import display_path
from g2d_tui.messages import PromptSubmitted
from g2d_tui.screens.imagine import ImagineMixin
from g2d_tui.services.errors import ServiceError
from g2d_tui.widgets.chat_log import ChatLog
from g2d_tui.widgets.footer import Footer
from g2d_tui.widgets.image_card import SPINNER, ImageCard
from g2d_tui.widgets.prompt_input import PromptInput
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt, warm_up_markdown_rendering

if TYPE_CHECKING:
    from textual.timer import Timer

    from g2d_tui.app import G2DApp
    from g2d_tui.settings.model import Settings


KEY_NOTES = {"keys.missing_gemini": "keys.ready_gemini", "keys.missing_hf": "keys.ready_hf"}
"""Each "no key yet" note and the "ready" note it turns into once that key is set."""
_KEY_NOTE_PAIRS = {key: pair for pair in KEY_NOTES.items() for key in pair}

COLLECT_AFTER_REPLY = 1.0
"""Seconds after a reply ends before the garbage collection it put off (see gc_policy.streaming)."""


class ChatScreen(ImagineMixin, Screen[None]):
    """Chat with Gemini; ``/imagine`` turns a request into a picture."""

    app: G2DApp
    BINDINGS = [
        bind("escape", "cancel", "cancel"),
        bind("ctrl+l", "new_chat", "new_chat"),
        bind("ctrl+y", "copy_reply", "copy_reply", priority=True),  # TextArea uses ctrl+y for redo
        bind("ctrl+s", "save_image", "save_image"),
        bind("f3", "pick_chat_model", "pick_chat_model", show=False),
        bind("f4", "pick_image_model", "pick_image_model", show=False),
        bind("ctrl+o", "app.open_images_folder", "open_images", show=False),
    ]

    # repaint=False: a change repaints the footer's bindings, not the whole screen (90 ms
    # for a long reply here, right when its last words should show).
    busy: reactive[bool] = reactive(False, bindings=True, repaint=False)
    """A reply is streaming."""
    imagining: reactive[int] = reactive(0, bindings=True, repaint=False)
    """How many /imagine runs are in flight."""

    def __init__(self) -> None:
        super().__init__()
        self._frame = 0
        self._activity_text = ""
        self._collect_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Static("g2d-tui", id="app-title")
        yield ChatLog(id="chat-log")
        yield Static("", id="activity")
        yield PromptInput(id="prompt")
        yield Footer(compact=True)

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def prompt_input(self) -> PromptInput:
        return self.query_one(PromptInput)

    async def on_mount(self) -> None:
        self.prompt_input.focus()
        self.set_interval(0.1, self._animate_activity)
        self.app.settings_changed_signal.subscribe(self, self._settings_changed)
        await self._welcome()
        # Both after the first frame, so the chat shows as soon as it can: each picker is five
        # widgets to style and lay out, and the model listing imports the Gemini SDK in a
        # thread, which holds the GIL for about half a second.
        self.call_after_refresh(self._mount_model_pickers)
        if self.app.effective.gemini_api_key:
            self.call_after_refresh(self.load_models)
        self.call_after_refresh(self._warm_up)
        self.call_after_refresh(self._preload_widget_css)

    @work(thread=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        warm_up_markdown_rendering()
        # Imported on the event loop by the first request otherwise (the HTTP stack's
        # asyncio backend, 10-25 ms) or by the first /imagine (3-9 ms).
        try:
            import anyio._backends._asyncio  # noqa: F401
        except ImportError:  # another anyio layout: imported when first needed, as before
            pass
        import g2d_tui.services.image_store  # noqa: F401
        from g2d_tui.services.images import backend_class

        backend_class(self.app.settings.images.backend)  # its modules, imported here rather than by the first /imagine
        import g2d_tui.widgets.graphics_picture  # noqa: F401

    def _preload_widget_css(self) -> None:
        textual_fixes.preload_default_css(self.app, _widgets_mounted_later())

    async def _mount_model_pickers(self) -> None:
        settings = self.app.settings
        await self.query_one("#top-bar").mount_all([
            Select(self._chat_model_options(), value=settings.gemini.model, allow_blank=False, id="chat-model", compact=True),
            Select(self._image_model_options(), value=settings.images.model, allow_blank=False, id="image-model", compact=True),
        ])

    def _picker(self, picker_id: str) -> Select | None:
        """The model picker, once mounted (see :meth:`_mount_model_pickers`)."""
        return self.query_one_optional(picker_id, Select)

    async def _welcome(self) -> None:
        app = self.app
        await self.log_view.add(Note(t("chat.welcome"), key="chat.welcome"))
        for problem in app.load_problems:
            await self.log_view.add(Note(problem.message(), "error", key=problem.key, params=problem.params))
        if app.config_backup is not None:
            backup = display_path(app.config_backup)
            await self.log_view.add(Note(t("config.backup_made", path=backup), "warning", key="config.backup_made", params={"path": backup}))
        if app.load_problems:
            self.notify(t("config.problems_notice", count=len(app.load_problems)), severity="warning", timeout=10)
        from g2d_tui.screens.help import known_binding_ids

        for binding_id in sorted(set(app.settings.keymap) - known_binding_ids()):
            key = "keymap.unknown_id"
            await self.log_view.add(Note(t(key, id=binding_id), "warning", key=key, params={"id": binding_id}))
        missing = app.missing_keys()
        for key in missing:
            await self.log_view.add(Note(t(key), "warning", key=key))
        if "keys.missing_gemini" in missing:
            self.notify(t("keys.opening_settings"), severity="warning", timeout=8)
            self.call_after_refresh(app.action_open_settings)

    # -- submitting ---------------------------------------------------------------------

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
        user = UserPrompt(event.text)
        await self.log_view.add(user)
        self.log_view.anchor()
        if isinstance(parsed, slash.Imagine):
            card = ImageCard(parsed.request, asked_by=user)
            await self.log_view.add(card)
            self.imagining += 1
            self.imagine(parsed.request, card, user, event.text)
        else:
            reply = GeminiReply(self.app.settings.gemini.model)
            await self.log_view.add(reply)
            reply.set_state("streaming")
            self.busy = True
            self.stream_reply(parsed.text, reply, user, event.text)

    async def _run_command(self, name: str) -> None:
        if name == "new":
            await self.action_new_chat()
        elif name == "settings":
            self.app.action_open_settings()
        elif name == "help":
            await self.log_view.add(Note(t("slash.help"), key="slash.help"))

    @work(exclusive=True, group="reply")
    async def stream_reply(self, text: str, reply: GeminiReply, user: UserPrompt, typed: str) -> None:
        """Stream Gemini's answer into ``reply``; on failure give the text back to the input."""
        gemini = self.app.gemini
        failed: ServiceError | None = None
        if self._collect_timer is not None:  # this reply's end will run it
            self._collect_timer.stop()
        try:
            with gc_policy.streaming():
                async for chunk in gemini.stream(text):
                    await reply.write(chunk)
        except ServiceError as error:
            failed = error
        except asyncio.CancelledError:
            reply.set_state("cancelled")  # the partial text stays on screen and in the history
            raise
        finally:
            await reply.finish_stream()
            self.busy = False
            # The full pass the stream put off, once the reader has the end on screen.
            self._collect_timer = self.set_timer(COLLECT_AFTER_REPLY, self._collect_after_reply)
        outcome = gemini.last_outcome
        if failed is not None:
            await self._reply_failed(failed, reply, user, typed)
        elif outcome is not None and outcome.truncated:
            reason = outcome.finish_reason or ""
            reply.set_state("truncated", t(f"chat.stopped.{reason.lower()}", reason=reason) if reason in ("MAX_TOKENS", "SAFETY", "RECITATION") else t("chat.stopped.other", reason=reason))
        else:
            reply.set_state("done")

    def _collect_after_reply(self) -> None:
        self._collect_timer = None
        gc_policy.collect_while_quiet()
        gc_policy.freeze_long_lived()  # the first reply may have imported the Gemini SDK

    async def _reply_failed(self, error: ServiceError, reply: GeminiReply, user: UserPrompt, typed: str) -> None:
        if reply.text:
            reply.set_state("failed")
        else:
            await reply.remove()
        user.mark_failed()
        await self.log_view.add(Note(error.message(), "error", key=error.key, params=error.params))
        self.notify(error.message(), severity="error", timeout=8)
        self.prompt_input.restore(typed)

    # -- models -------------------------------------------------------------------------

    @work(exclusive=True, group="models")
    async def load_models(self) -> None:
        """Fill the chat model picker from the API; on failure keep the configured model."""
        try:
            models = await self.app.gemini.list_models()
        except ServiceError as error:
            key = "chat.models_unavailable"
            await self.log_view.add(Note(t(key, reason=error), "warning", key=key, params={"reason": error}))
            return
        finally:
            gc_policy.freeze_long_lived()  # the Gemini SDK is imported by now
        self.app.chat_models = [model.name for model in models]
        if picker := self._picker("#chat-model"):
            picker.set_options(self._chat_model_options())
            picker.value = self.app.settings.gemini.model

    def _chat_model_options(self) -> list[tuple[str, str]]:
        names = list(self.app.chat_models)
        if self.app.settings.gemini.model not in names:
            names.insert(0, self.app.settings.gemini.model)
        return [(name, name) for name in names]

    def _image_model_options(self) -> list[tuple[str, str]]:
        """The active backend's known models (``images.list_models`` asks its server)."""
        from g2d_tui.services.images import model_choices

        return [(name or t("chat.image_model_default"), name) for name in model_choices(self.app.settings)]

    @on(Select.Changed, "#chat-model")
    def _chat_model_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.app.settings.gemini.model:
            new = self.app.settings.copy()
            new.gemini.model = event.value
            self.persist(new)

    @on(Select.Changed, "#image-model")
    def _image_model_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.app.settings.images.model:
            new = self.app.settings.copy()
            new.images.model = event.value
            self.persist(new)

    @work(group="persist")
    async def persist(self, new: Settings) -> None:
        await self.app.save_settings_or_report(new)

    def _settings_changed(self, settings: Settings) -> None:
        for picker_id, options, value in (
            ("#chat-model", self._chat_model_options(), settings.gemini.model),
            ("#image-model", self._image_model_options(), settings.images.model),
        ):
            picker = self._picker(picker_id)
            if picker is not None and picker.value != value:
                picker.set_options(options)
                picker.value = value
        if self.app.effective.gemini_api_key and not self.app.chat_models:
            self.load_models()
        self._settle_missing_key_notes()

    def _settle_missing_key_notes(self) -> None:
        """A "no key yet" note whose key is now set says it is ready, and back if the key is
        cleared again: left as it was, it contradicted the settings just saved."""
        missing = set(self.app.missing_keys())
        for note in self.log_view.query(Note):
            pair = _KEY_NOTE_PAIRS.get(note.key)
            if pair is None:
                continue
            missing_key, ready_key = pair
            if missing_key in missing and note.key != missing_key:
                note.show_message(missing_key, "warning")
            elif missing_key not in missing and note.key != ready_key:
                note.show_message(ready_key, "info")

    # -- actions ------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "reply")
        self.workers.cancel_group(self, "imagine")

    async def action_new_chat(self) -> None:
        self.workers.cancel_group(self, "reply")
        self.workers.cancel_group(self, "imagine")
        self.app.gemini.reset()
        await self.log_view.remove_children()
        gc_policy.widgets_removed()  # the conversation's widgets, maybe frozen: freed when idle
        await self.log_view.add(Note(t("chat.new_chat"), key="chat.new_chat"))
        self.prompt_input.focus()

    def action_copy_reply(self) -> None:
        replies = [reply for reply in self.query(GeminiReply) if reply.text]
        if not replies:
            self.notify(t("chat.nothing_to_copy"), severity="warning")
            return
        self.app.copy_to_clipboard(replies[-1].text)
        self.notify(t("chat.copied"))

    def action_pick_chat_model(self) -> None:
        self._open_picker("#chat-model")

    def action_pick_image_model(self) -> None:
        self._open_picker("#image-model")

    def _open_picker(self, picker_id: str) -> None:
        if picker := self._picker(picker_id):
            picker.focus()
            picker.action_show_overlay()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy or self.imagining > 0
        return True

    def _animate_activity(self) -> None:
        parts = []
        if self.busy:
            parts.append(t("chat.streaming"))
        if self.imagining:
            parts.append(t("imagine.running", count=self.imagining))
        text = ""
        if parts:
            self._frame = (self._frame + 1) % len(SPINNER)
            text = f"{SPINNER[self._frame]} {' · '.join(parts)} — {t('chat.esc_cancels')}"
        if text != self._activity_text:  # an unchanged update would still cost a layout pass
            self._activity_text = text
            activity = self.query_one("#activity", Static)
            # One line, as wide as the screen (chat.tcss): its size never changes, so no layout
            # pass, which would reflow the whole screen ten times a second while a reply streams.
            activity.update(text, layout=False)
            activity.set_class(bool(parts), "-busy")  # not on the screen: that would restyle every turn

    def retranslate(self) -> None:
        self._animate_activity()


def _widgets_mounted_later() -> list[type]:
    """What appears only once the user does something: replies and their Markdown blocks,
    image cards and their buttons, notes, notifications."""
    from textual.widget import Widget
    from textual.widgets import Button, Label, _markdown

    from g2d_tui.widgets import reply_markdown
    from g2d_tui.widgets.picture import HalfcellPicture
    from g2d_tui.widgets.turns import FrozenMarkdown

    not_in_replies = {"Markdown", "MarkdownViewer", "MarkdownTableOfContents"}
    blocks = [
        value
        for module in (_markdown, reply_markdown)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Widget) and value.__module__ == module.__name__
        and value.__name__ not in not_in_replies
    ]
    widgets = [ImageCard, Button, Label, GeminiReply, UserPrompt, Note, FrozenMarkdown, HalfcellPicture, reply_markdown.ReplyMarkdown, *blocks]
    try:
        from textual.widgets._toast import Toast

        widgets.append(Toast)
    except ImportError:
        pass
    return widgets
