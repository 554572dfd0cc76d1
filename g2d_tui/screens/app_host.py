"""What screens and widgets may ask of the app, besides what every Textual ``App`` offers.

For readers and type checkers only (imported under ``TYPE_CHECKING``): a screen reaches the
app as ``self.app`` and never imports the app's module, which imports the screens. The app
hands a screen anything else it needs when it opens it (the help screen's key groups).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.signal import Signal

    from g2d_tui.screens.key_guard import KeyGuard
    from g2d_tui.services.gemini import GeminiChat
    from g2d_tui.services.history import AsyncHistory
    from g2d_tui.services.images.base import ImageBackend
    from g2d_tui.settings.model import Effective, Environment, Settings
    from g2d_tui.settings.store import Problem, SettingsStore


class AppHost(Protocol):
    """The app's settings and services, as ``G2DApp`` provides them."""

    settings: Settings
    environment: Environment
    store: SettingsStore
    settings_file_exists: bool
    load_problems: list[Problem]
    config_backup: Path | None
    language_from_cli: str | None
    settings_changed_signal: Signal[Settings]
    history: AsyncHistory | None
    chat_models: list[str]
    key_guard: KeyGuard

    @property
    def effective(self) -> Effective: ...

    @property
    def gemini(self) -> GeminiChat: ...

    @property
    def image_backend(self) -> ImageBackend: ...

    def missing_keys(self, settings: Settings | None = None) -> list[str]: ...

    async def save_settings_or_report(self, new: Settings) -> bool: ...

    def note_waiting(self, waiting: bool) -> None: ...

    def only_waiting(self) -> AbstractContextManager[None]: ...

    def action_open_settings(self) -> None: ...

    def action_open_conversations(self) -> None: ...

    def action_open_gallery(self) -> None: ...
