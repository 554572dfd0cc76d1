"""A settings path the app cannot use: the chat and the save error say the real cause."""

from __future__ import annotations

from textual.widgets import Input

from g2d_tui import i18n
from g2d_tui.app import G2DApp
from g2d_tui.settings.model import Environment
from g2d_tui.settings.store import SettingsStore
from g2d_tui.i18n import t
from g2d_tui.screens.chat import ChatScreen
from tests.ui.helpers import settings_ready, until


def chat_notes(app) -> str:
    chat = next(screen for screen in app.screen_stack if isinstance(screen, ChatScreen))  # under the settings
    return "\n".join(t(entry.key, **entry.params) for entry in chat.log_view.entries if entry.role == "note")


def toasts(app) -> str:
    return "\n".join(f"{note.title} {note.message}" for note in app._notifications)


def app_at(path) -> G2DApp:
    store = SettingsStore(path)
    return G2DApp(store, store.load(), Environment.from_environ({}))


async def test_folder_that_is_a_file_is_named_on_start_and_on_save(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder")
    app = app_at(blocker / "config.toml")
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)  # no key: the settings screen opens over the chat
        notes = chat_notes(app)
        assert f"{blocker} is a file, not a folder" in notes, notes
        screen = app.screen
        screen.query_one("#gemini--api-key", Input).value = "AIzaTYPED-0000"
        app.clear_notifications()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Could not write" in toasts(app), "no save error")
        said = toasts(app)
        assert f"{blocker} is a file, not a folder" in said and "File exists" not in said, said
        assert "Not Saved" not in said and screen.dirty  # the form keeps the changes


async def test_a_folder_given_as_the_settings_file_is_named_in_portuguese_too(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    i18n.set_language("pt-BR")
    app = app_at(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)
        notes = chat_notes(app)
        assert f"{folder} é uma pasta, não um arquivo" in notes, notes
        app.screen.query_one("#gemini--api-key", Input).value = "AIzaTYPED-0000"
        app.clear_notifications()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Não foi possível gravar" in toasts(app), "no save error")
        assert f"{folder} é uma pasta, não um arquivo" in toasts(app), toasts(app)
