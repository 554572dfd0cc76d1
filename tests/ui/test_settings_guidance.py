"""What the settings screen tells a new user: which key is missing and where to get it,
whether anything was saved yet, and when a language change applies."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from g2d_tui import i18n
from g2d_tui.app import G2DApp
from g2d_tui.paths import config_path, display_path
from g2d_tui.settings.model import Environment, Settings
from g2d_tui.settings.store import SettingsStore
from tests.ui.helpers import keyed_settings, make_app, settings_ready, settle, until


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# -- missing keys, near the top -----------------------------------------------------------


async def test_first_run_names_both_missing_keys_and_where_to_get_them():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settings_ready(pilot)
        screen = app.screen
        missing = screen.query_one("#settings-missing", Static)
        shown = text_of(screen, "#settings-missing")
        assert missing.display and missing.region.height >= 2
        assert "Gemini API key" in shown and "https://aistudio.google.com/apikey" in shown
        assert "Hugging Face token" in shown and "https://huggingface.co/settings/tokens" in shown
        assert missing.region.y < screen.query_one("#settings-form").region.y  # above the form, in sight at 80×24


async def test_only_what_the_selected_backend_needs_is_named(fake_gemini):
    app = make_app(environ={"GEMINI_API_KEY": "AIzaFROM-ENV", "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await settings_ready(pilot)
        screen = app.screen
        shown = text_of(screen, "#settings-missing")
        assert "Gemini" not in shown and "Hugging Face token" in shown
        screen.query_one("#images--backend", Select).value = "a1111"  # draws on your GPU: no token needed
        await until(pilot, lambda: not screen.query_one("#settings-missing").display, "the note stayed with a1111")
        screen.query_one("#images--backend", Select).value = "huggingface"
        await until(pilot, lambda: screen.query_one("#settings-missing").display, "the note did not come back")
        screen.query_one("#images-huggingface--api-key", Input).value = "hf_typed_token"
        await until(pilot, lambda: not screen.query_one("#settings-missing").display, "a typed token still counted as missing")


async def test_no_missing_key_note_when_keys_are_set(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settings_ready(pilot)
        assert not app.screen.query_one("#settings-missing").display


# -- saved or not --------------------------------------------------------------------------


async def test_status_says_not_saved_yet_until_the_file_exists():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settings_ready(pilot)
        screen = app.screen
        path = display_path(config_path())
        assert not config_path().exists()
        assert text_of(screen, "#settings-status") == f"Not saved yet — ctrl+s writes {path}"
        await pilot.press("ctrl+s")
        await until(pilot, config_path().exists, "ctrl+s wrote nothing")
        await settle(pilot)
        assert text_of(screen, "#settings-status") == f"Saved in {path}"


async def test_status_says_saved_in_when_the_file_exists(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))  # written before the app starts
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settings_ready(pilot)
        assert text_of(app.screen, "#settings-status") == f"Saved in {display_path(config_path())}"


# -- language ------------------------------------------------------------------------------


def app_with(language_from_cli: str | None, gemini_url: str) -> G2DApp:
    store = SettingsStore(config_path())
    settings = Settings()
    settings.gemini.api_key = "AIzaFAKE-lang-0000"
    settings.gemini.base_url = gemini_url
    settings.images.backend = "a1111"
    store.save(settings)
    return G2DApp(store, store.load(), Environment.from_environ({}), language_from_cli=language_from_cli)


async def test_language_changes_when_saved_as_the_hint_says(fake_gemini):
    app = app_with(None, fake_gemini.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await settings_ready(pilot)
        screen = app.screen
        hint = text_of(screen, "#hint-ui--language")
        assert "at once" not in hint and "saved" in hint
        screen.query_one("#ui--language", Select).value = "pt-BR"
        await pilot.pause()
        assert i18n.get_language() == "en" and text_of(screen, "#settings-title") == "Settings"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: i18n.get_language() == "pt-BR", "saving did not switch the language")
        await settle(pilot)
        assert text_of(screen, "#settings-title") == "Configurações"


async def test_lang_on_the_command_line_is_said_to_win(fake_gemini):
    app = app_with("en", fake_gemini.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await settings_ready(pilot)
        screen = app.screen
        hint = text_of(screen, "#hint-ui--language")
        assert "--lang en" in hint and "this session" in hint
        screen.query_one("#ui--language", Select).value = "pt-BR"
        await pilot.press("ctrl+s")
        await until(pilot, config_path().exists, "not saved")
        await settle(pilot)
        assert "language = \"pt-BR\"" in config_path().read_text(encoding="utf-8")
        assert i18n.get_language() == "en"  # --lang wins, as the hint said
        assert "--lang en" in text_of(screen, "#hint-ui--language")
