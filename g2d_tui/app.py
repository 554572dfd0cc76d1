"""G2DApp: holds settings and services, global keys and palette commands."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import NoActiveWorker, get_current_worker

from g2d_tui import crash, hooks, i18n, textual_words
from g2d_tui.binding_groups import binding_groups, binding_owners, known_binding_ids
from g2d_tui.idle import IdleWatch
from g2d_tui.i18n import t
from g2d_tui.keys import bind, retranslate, retranslate_classes, validate_keymap
from g2d_tui.paths import display_path, styles_dir
from g2d_tui.services import secrets
from g2d_tui.settings.model import Effective, Environment, Settings, effective, missing_keys
from g2d_tui.settings.store import LoadResult, SettingsStore

if TYPE_CHECKING:
    from g2d_tui.services.gemini import GeminiChat, GeminiConfig
    from g2d_tui.services.history import AsyncHistory
    from g2d_tui.services.images.base import ImageBackend


def plain_system_commands():
    """The palette's provider of our commands, loaded when the palette first opens."""
    from g2d_tui.screens.palette import PlainSystemCommands

    return PlainSystemCommands


class G2DApp(App[None]):
    """Chat with Gemini; /imagine draws through an image backend."""

    TITLE = "g2d-tui"
    CSS_PATH = [
        styles_dir() / "app.tcss", styles_dir() / "chat.tcss", styles_dir() / "settings.tcss",
        styles_dir() / "conversations.tcss", styles_dir() / "gallery.tcss",
    ]
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {plain_system_commands}  # the palette shows our titles and help as plain text
    BINDINGS = [
        bind("ctrl+q", "quit", "quit", priority=True),
        bind("f1", "help", "help"),
        bind("f2,ctrl+comma", "open_settings", "settings"),
        # Priority: the message box (a TextArea) would take F6 for "select line".
        bind("f5", "open_conversations", "conversations", show=False, priority=True),
        bind("f6", "open_gallery", "gallery", show=False, priority=True),
        bind("ctrl+p", "command_palette", "command_palette", show=False, priority=True),
    ]

    def __init__(
        self,
        store: SettingsStore,
        loaded: LoadResult | None = None,
        environment: Environment | None = None,
        *,
        language_from_cli: str | None = None,
    ) -> None:
        retranslate_classes(*binding_owners())  # labels follow the language set before the app was made
        textual_words.translate_bindings()
        super().__init__()
        secrets.install_log_filter()
        self.crash_state = crash.CrashState()
        self.shutting_down = False
        """The app is closing its screens: a widget still mounting may find its children gone."""
        self.store = store
        loaded = loaded or store.load()
        self.settings: Settings = loaded.settings
        self.keymap_check = validate_keymap(self.settings.keymap, known_binding_ids())
        """The ``[keymap]`` as applied: unknown ids and unbindable keys left out, quit reachable."""
        self.load_problems = [*loaded.problems, *self.keymap_check.problems]
        self.config_backup: Path | None = loaded.backup
        self.settings_file_exists = loaded.found
        """Whether the settings were ever written (or read from a file): the settings screen says which."""
        self.extra_config = loaded.extra
        self.environment = environment or Environment.from_environ()
        self.language_from_cli = language_from_cli
        self.settings_changed_signal: Signal[Settings] = Signal(self, "settings-changed")
        self._gemini: GeminiChat | None = None
        self._image_backend: ImageBackend | None = None
        self.history: AsyncHistory | None = None
        """The conversations and pictures store, once opened (None: running without history)."""
        self.chat_models: list[str] = []
        """Model ids from the API, filled by the chat screen's model-list worker."""
        self.idle = IdleWatch()
        """When the app is idle (``hooks`` event ``idle``): no input for a while, no running work."""
        from g2d_tui.screens.key_guard import KeyGuard

        self.key_guard = KeyGuard(self)
        """Asks before a key goes out over plain http; remembers the yeses of this session."""

    # -- services -----------------------------------------------------------------------

    @property
    def effective(self) -> Effective:
        return effective(self.settings, self.environment)

    @property
    def gemini(self) -> GeminiChat:
        from g2d_tui.services.gemini import GeminiChat

        if self._gemini is None:
            self._gemini = GeminiChat(self.gemini_config())
        return self._gemini

    def gemini_config(self) -> GeminiConfig:
        from g2d_tui.services.settings_services import gemini_config

        return gemini_config(self.settings, self.environment)

    @property
    def image_backend(self) -> ImageBackend:
        if self._image_backend is None:
            from g2d_tui.services.images import backend_from_settings

            self._image_backend = backend_from_settings(self.settings, self.environment)
        return self._image_backend

    async def rebuild_services(self) -> None:
        """Use new settings: keep the chat history, drop clients built with the old ones."""
        if self._gemini is not None:
            self._gemini.reconfigure(self.gemini_config())
        old, self._image_backend = self._image_backend, None
        if old is not None:
            await old.aclose()

    # -- lifecycle ----------------------------------------------------------------------

    def get_driver_class(self):
        from g2d_tui.web_driver import whole_packets

        return whole_packets(super().get_driver_class())

    def get_default_screen(self) -> Screen:
        # The first screen, composed with the app: pushed from on_mount instead, its first
        # frame fell inside the app's start-up batch and was dropped until the next change.
        from g2d_tui.screens.chat import ChatScreen

        return ChatScreen()

    def on_mount(self) -> None:
        if self.settings.ui.theme in self.available_themes:
            self.theme = self.settings.ui.theme
        self.set_keymap(self.keymap_check.keymap)
        hooks.announce("app_mounted")
        self.set_interval(self.idle.check_every, self._announce_idle)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.idle.input_came()
        await super().on_event(event)

    def _announce_idle(self) -> None:
        """Housekeeping that would be felt (a full garbage-collector pass) waits for this."""
        if self.idle.is_idle(self.workers):
            hooks.announce("idle")

    def note_waiting(self, waiting: bool) -> None:
        """Whether the current worker is now only waiting on the network: put-off
        housekeeping may then run (see ``only_waiting``). Outside a worker: nothing to note."""
        try:
            worker = get_current_worker()
        except NoActiveWorker:
            return
        self.idle.note_waiting(worker, waiting)

    @contextmanager
    def only_waiting(self) -> Iterator[None]:
        """The current worker only waits on the network meanwhile (``note_waiting`` can say
        otherwise for a moment, e.g. while a picture that came is checked).

        An /imagine waits seconds (a minute when the model is loading) for its prompt and
        picture. Counted as running work, back-to-back /imagines never left an idle moment
        for the refreeze, and the full pass after each archived card grew with the session.
        A pause now falls on a spinner, while nothing is typed.
        """
        self.note_waiting(True)
        try:
            yield
        finally:
            self.note_waiting(False)

    async def on_unmount(self) -> None:
        await self._close_services()

    # -- crashes (see g2d_tui.crash) ----------------------------------------------------

    async def _shutdown(self) -> None:
        self.shutting_down = True
        await super()._shutdown()

    def _handle_exception(self, error: Exception) -> None:
        """Textual's path for an unhandled exception, with a private report written first."""
        from textual.css.query import NoMatches

        if self.shutting_down and isinstance(error, NoMatches):
            # Quitting while a screen still mounts (ctrl+q as the first-run settings open):
            # Textual removes a widget's children before that widget's mount handler has run,
            # and its query (Select looks for its label) finds nothing. The app is leaving.
            return
        self.crash_state.record(error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash screen, without its local variables (they held the keys) or secrets."""
        from rich.segment import Segments

        self.bell()
        error = self.crash_state.error or sys.exc_info()[1]
        if error is not None:
            renderable = crash.traceback_renderable(error)
            self._exit_renderables.append(Segments(self.console.render(renderable, self.console.options)))
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """After the crash screen (printed once the terminal is restored): where the report is."""
        super()._print_error_renderables()
        if self.crash_state.crashed and not self.crash_state.told:
            self.crash_state.told = True
            self.error_console.print(crash.exit_message(self.crash_state.report), markup=False, highlight=False, soft_wrap=True)

    async def _close_services(self) -> None:
        closers = []
        if self._gemini is not None:
            closers.append(self._gemini.aclose())
        if self._image_backend is not None:
            closers.append(self._image_backend.aclose())
        if self.history is not None:
            closers.append(self.history.close())
        if closers:
            await asyncio.gather(*closers, return_exceptions=True)

    # -- settings -----------------------------------------------------------------------

    def missing_keys(self, settings: Settings | None = None) -> list[str]:
        """``settings.model.missing_keys`` of ``settings`` (the app's own by default)."""
        return missing_keys(settings or self.settings, self.environment)

    async def save_settings(self, new: Settings) -> None:
        """Persist ``new`` (off the event loop), then apply it everywhere.

        Raises:
            OSError: the file could not be written; nothing was applied.
        """
        await asyncio.to_thread(self.store.save, new, self.extra_config)
        self.settings_file_exists = True
        old, self.settings = self.settings, new
        self.load_problems = []
        await self.rebuild_services()
        if new.ui.theme != old.ui.theme and new.ui.theme in self.available_themes:
            self.theme = new.ui.theme
        if new.keymap != old.keymap:
            self.keymap_check = validate_keymap(new.keymap, known_binding_ids())
            self.set_keymap(self.keymap_check.keymap)
        if new.ui.language != old.ui.language and not self.language_from_cli:
            self.switch_language(i18n.resolve_language(new.ui.language))
        self.settings_changed_signal.publish(new)

    async def save_settings_or_report(self, new: Settings) -> bool:
        """``save_settings``, telling the user (and returning False) when the file cannot be written."""
        try:
            await self.save_settings(new)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.notify(t("settings.save_failed", path=display_path(self.store.path), reason=reason), severity="error", timeout=10)
            return False
        return True

    def switch_language(self, language: str) -> None:
        """Re-label everything that is on screen in ``language``."""
        i18n.set_language(language)
        retranslate_classes(*binding_owners())  # screens opened later copy these
        textual_words.translate_bindings()
        for node in [self, *self.screen_stack]:
            retranslate(node)
            for widget in node.walk_children() if isinstance(node, Screen) else ():
                retranslate(widget)
                textual_words.translate_bindings([widget])
                if hasattr(widget, "retranslate"):
                    widget.retranslate()
            if isinstance(node, Screen) and hasattr(node, "retranslate"):
                node.retranslate()
        self.refresh_bindings()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None, markup: bool = True) -> None:
        """Show a toast. Always plain text: messages carry server errors, paths and typed
        text, where a ``[`` would restyle the toast or raise MarkupError and stop the app."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- actions ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with pictures not saved yet (auto-save off), ask first."""
        from g2d_tui.screens.chat import ChatScreen

        chat = next((screen for screen in self.screen_stack if isinstance(screen, ChatScreen)), None)
        unsaved = chat.pictures.unsaved_count() if chat is not None else 0
        if not unsaved:
            self.exit()
            return
        from g2d_tui.screens.confirm import ConfirmScreen

        async def decided(choice: str | None) -> None:
            if choice == "save":
                await chat.pictures.save_all()
                if chat.pictures.unsaved_count():
                    return  # a save failed: the card says why, and nothing is lost
                self.exit()
            elif choice == "quit":
                self.exit()

        answers = [("save", t("quit_unsaved.save"), "primary"), ("quit", t("quit_unsaved.quit"), "error"), ("cancel", t("quit_unsaved.cancel"), "default")]
        await self.push_screen(ConfirmScreen(t("quit_unsaved.title"), t("quit_unsaved.body", count=unsaved), answers), decided)

    def action_open_settings(self) -> None:
        from g2d_tui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen(self.settings, self.environment))

    def action_open_conversations(self) -> None:
        from g2d_tui.screens.conversations import ConversationsScreen

        self._open_memory_screen(ConversationsScreen)

    def action_open_gallery(self) -> None:
        from g2d_tui.screens.gallery import GalleryScreen

        self._open_memory_screen(GalleryScreen)

    def _open_memory_screen(self, screen_class: type[Screen]) -> None:
        """Open the conversations or the gallery above the chat; one replaces the other."""
        from g2d_tui.screens.memory import MemoryScreen

        if isinstance(self.screen, screen_class):
            return
        if isinstance(self.screen, MemoryScreen):
            self.switch_screen(screen_class())
        else:
            self.push_screen(screen_class())

    def action_help(self) -> None:
        from g2d_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(binding_groups(), self._keymap))

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            from g2d_tui.screens.palette import Palette

            self.push_screen(Palette(placeholder=t("command.palette_placeholder"), id="--command-palette"))

    def search_themes(self) -> None:
        """The theme picker (palette command "Theme"), worded in the user's language."""
        from textual.theme import ThemeProvider

        from g2d_tui.screens.palette import Palette

        self.push_screen(Palette(providers=[ThemeProvider], placeholder=t("command.theme_placeholder")))

    def action_help_quit(self) -> None:
        """ctrl+c outside a text field: say how to quit (Textual's toast, translated and plain)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(t("textual.quit_body", key=key), title=t("textual.quit_title"))
                return

    def action_open_images_folder(self) -> None:
        folder = Path(self.settings.images.save_dir).expanduser()
        self.notify(t("images_folder.location", path=display_path(folder)), title=t("images_folder.title"))
        self.run_worker(self._open_folder(folder), group="open-folder", exit_on_error=False)

    async def _open_folder(self, folder: Path) -> None:
        from g2d_tui.services.folders import open_in_file_manager

        if not await asyncio.to_thread(open_in_file_manager, folder):
            self.notify(t("images_folder.cannot_open"), severity="warning")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from g2d_tui.screens.palette import our_commands

        return our_commands(self, screen)
