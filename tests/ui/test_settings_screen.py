"""Settings screen through the real UI: first run, edit/save/restart, validation, leaving, damaged files."""

from __future__ import annotations

import tomllib

from textual.widgets import Input, Select, Switch

from g2d_tui.paths import config_path
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.widgets.turns import Note
from tests.ui.helpers import make_app, settings_ready, until


async def _type_into(pilot, selector: str, text: str) -> None:
    """Type into a settings field, once the screen's own first focus has landed.

    Focus is applied via the message queue: focusing before the screen's on_mount has
    run lets its first-field focus win, and the keys land in the API key field instead.
    """
    await settings_ready(pilot)
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.pause()
    assert pilot.app.focused is widget
    widget.value = ""
    await pilot.press(*text)
    await pilot.pause()
    assert widget.value == text


async def test_first_run_without_keys_opens_settings_and_says_what_is_missing():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)
        assert isinstance(app.screen, SettingsScreen)
        chat = app.screen_stack[-2]
        assert isinstance(chat, ChatScreen)
        notes = " ".join(str(note.render()) for note in chat.query(Note))
        assert "No Gemini API key" in notes and "aistudio.google.com/apikey" in notes
        assert "No Hugging Face token" in notes and "huggingface.co/settings/tokens" in notes
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)
    assert not config_path().exists()


async def test_a_key_saved_in_settings_turns_its_missing_key_note_into_a_ready_one_and_back(fake_gemini):
    app = make_app(environ={"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with app.run_test(size=(100, 30)) as pilot:
        await _type_into(pilot, "#gemini--api-key", "AIzaTEST123456")
        await pilot.press("ctrl+s")
        await app.screen.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        notes = {note.key: note for note in app.screen.query(Note)}
        assert "keys.missing_gemini" not in notes
        ready = notes["keys.ready_gemini"]
        assert "Gemini API key set" in str(ready.render()) and ready.has_class("-info") and not ready.has_class("-warning")
        # The token for /imagine is still missing: its note stays as it was.
        assert "No Hugging Face token" in str(notes["keys.missing_hf"].render())
        assert notes["keys.missing_hf"].has_class("-warning")

        await pilot.press("f2")
        await _type_into(pilot, "#gemini--api-key", "")
        await pilot.press("ctrl+s")
        await app.screen.workers.wait_for_complete()
        await pilot.press("escape")
        await pilot.pause()
        assert ready.key == "keys.missing_gemini"  # the key is gone again: so is "ready"
        assert "No Gemini API key" in str(ready.render()) and ready.has_class("-warning") and not ready.has_class("-info")


async def test_ctrl_s_right_after_fast_typing_saves_what_was_typed(fake_gemini):
    """Keys from the terminal come in a burst (a paste, a fast typist): ctrl+s saved the field as
    it was before the keys ahead of it had reached the input, and the typed key was lost."""
    from textual import events

    app = make_app(environ={"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)
        assert app.focused is app.screen.query_one("#gemini--api-key", Input)
        for char in "AIzaBURST123":  # as the driver sends them: no waiting in between
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("ctrl+s", None))
        await until(pilot, config_path().exists, "the settings file")
        await app.screen.workers.wait_for_complete()
    assert tomllib.loads(config_path().read_text(encoding="utf-8"))["gemini"]["api_key"] == "AIzaBURST123"


async def test_edit_save_restart_keeps_values(fake_gemini):
    # The saved key makes the app list models: from the loopback fake, not the real service.
    app = make_app(environ={"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#gemini--api-key", "AIzaTEST123456")
        await _type_into(pilot, "#gemini--temperature", "0.4")
        await _type_into(pilot, "#images--save-dir", "/tmp/g2d-test-pics")
        app.screen.query_one("#images--auto-save", Switch).value = False
        app.screen.query_one("#ui--language", Select).value = "en"
        await pilot.pause()
        assert app.screen.dirty
        await pilot.press("ctrl+s")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert not app.screen.dirty
    data = tomllib.loads(config_path().read_text(encoding="utf-8"))
    assert data["gemini"]["api_key"] == "AIzaTEST123456"
    assert data["gemini"]["temperature"] == 0.4
    assert data["images"]["auto_save"] is False

    restarted = make_app(environ={"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with restarted.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert restarted.settings.gemini.temperature == 0.4
        assert restarted.settings.images.save_dir == "/tmp/g2d-test-pics"
        assert isinstance(restarted.screen, ChatScreen)  # a key exists now: no detour to settings
        await pilot.press("f2")
        assert isinstance(restarted.screen, SettingsScreen)
        assert restarted.screen.query_one("#gemini--temperature", Input).value == "0.4"
        key_input = restarted.screen.query_one("#gemini--api-key", Input)
        assert key_input.password is True
        await pilot.press("ctrl+t")
        assert key_input.password is False


async def test_invalid_value_is_refused_with_the_reason():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#gemini--temperature", "3")
        hint = app.screen.query_one("#hint-gemini--temperature")
        assert "between 0 and 2" in str(hint.render())
        assert app.screen.query_one("#row-gemini--temperature").has_class("-invalid")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert not config_path().exists()
        await _type_into(pilot, "#gemini--temperature", "1.5")
        assert not app.screen.query_one("#row-gemini--temperature").has_class("-invalid")


async def test_folder_that_is_a_file_is_flagged(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#images--save-dir", str(blocker / "sub"))
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        hint = str(app.screen.query_one("#hint-images--save-dir").render())
        assert "is a file" in hint


async def test_leaving_with_unsaved_changes_asks_and_discard_keeps_file_untouched():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#gemini--top-k", "5")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#answer-discard")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
    assert not config_path().exists()


async def test_leaving_with_unsaved_changes_can_save():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#gemini--top-k", "5")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#answer-save")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
    assert tomllib.loads(config_path().read_text(encoding="utf-8"))["gemini"]["top_k"] == 5


async def test_revert_restores_saved_values():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type_into(pilot, "#gemini--model", "some-other-model")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.query_one("#gemini--model", Input).value == "gemini-flash-latest"
        assert not app.screen.dirty


async def test_garbage_config_starts_with_defaults_message_and_backup():
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\xff not toml at all [[[")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)  # no key: settings open; leaving mid-mount raced Textual's Select
        chat = next(screen for screen in app.screen_stack if isinstance(screen, ChatScreen))
        notes = " ".join(str(note.render()) for note in chat.query(Note))
        assert "not valid TOML" in notes
        assert "copy of the original settings file" in notes
    backups = list(path.parent.glob("config.toml.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"\x00\xff not toml at all [[["
    assert path.read_bytes() == b"\x00\xff not toml at all [[["  # untouched until the user saves
