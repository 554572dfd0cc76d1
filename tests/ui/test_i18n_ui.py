"""Brazilian Portuguese through the real UI: CLI help, every label on the main screens,
switching language at run time, and pt-BR snapshots.

Binding labels are read from the catalogue when a screen module is imported, which happens
once per test process (in English). The app runs ``switch_language`` to re-label bindings
at run time, so tests that start in pt-BR call it once the screen they look at is up; in
production ``__main__`` sets the language before any screen module is imported.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from collections.abc import Iterable
from functools import cache

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Button, Input, Markdown, Select, Static, TextArea
from textual.widgets._footer import FooterKey

from g2d_tui import i18n
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.widgets.image_card import ImageCard
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt
from tests.fakes.gemini_server import Error as GeminiError
from tests.fakes.gemini_server import Reply
from tests.ui.helpers import keyed_settings, make_app, no_blink, until
from tests.ui.test_chat_screen import send, settle

# Words and phrases of en/ui.toml that have no place in the Portuguese UI (case-sensitive,
# whole words, not part of a /command).
ENGLISH_UI_WORDS = [
    "Settings", "Save", "Saved", "Revert", "Cancel", "Cancelled", "cancels", "Quit", "Help", "Close",
    "New chat", "Copy", "Model", "Unsaved", "Discard", "Welcome", "Language", "Theme", "folder",
    "Show", "Hide", "Back", "Send", "Newline", "Automatic", "Inference", "Temperature", "Width",
    "Height", "Steps", "Seed", "seed", "Negative", "Service", "Access token", "API key",
    "Endpoint URL", "You", "Ask Gemini", "Gemini is", "Max output", "Max prompt", "Guidance",
]
ENGLISH_RE = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(word) for word in ENGLISH_UI_WORDS) + r")(?!\w)")

CONTENT_IDS = {"app-title", "chat-model", "image-model", "ui--theme"}
"""Not UI text: the product name, model ids, theme names."""
CONTENT_CLASSES = ("card-request", "card-prompt", "card-image")
"""The user's request and the prompt Gemini wrote for it."""


# -- collecting what the user sees ------------------------------------------------------


def _is_content(widget: Widget) -> bool:
    for node in widget.ancestors_with_self:
        if not isinstance(node, Widget):
            continue
        if node.id in CONTENT_IDS or any(node.has_class(name) for name in CONTENT_CLASSES):
            return True
        if isinstance(node, Markdown) and isinstance(node.parent, GeminiReply):
            return True  # Gemini's answer
    return False


def _plain(renderable: object) -> str:
    text = str(renderable)
    return "" if text.startswith("<") and text.endswith(">") else text  # skip reprs of non-text visuals


def ui_texts(screen) -> list[str]:
    """Every UI string of ``screen`` (also scrolled out of view), unwrapped: labels, notes,
    buttons, border titles, placeholders, choice lists, footer keys (toasts: see notifications)."""
    texts: list[str] = []
    for widget in screen.walk_children(with_self=False):
        if _is_content(widget):
            continue
        texts += [str(title) for title in (widget.border_title, widget.border_subtitle) if title]
        if isinstance(widget, FooterKey):
            texts.append(widget.description)
        elif isinstance(widget, Button):
            texts.append(str(widget.label))
        elif isinstance(widget, UserPrompt):
            continue  # what the user typed
        elif isinstance(widget, Static):
            text = _plain(widget.render())
            card = next((node for node in widget.ancestors if isinstance(node, ImageCard)), None)
            if widget.has_class("card-negative") and card is not None and card.prompt is not None:
                text = text.replace(card.prompt.negative_prompt, "")  # keep only "Negative: "
            texts.append(text)
        elif isinstance(widget, (Input, TextArea)):
            texts.append(str(widget.placeholder))
        if isinstance(widget, Select):
            texts += [_plain(prompt) for prompt, _ in widget._options]
    return [text for text in texts if text.strip()]


def _blank(lines: list[str], region: Region) -> None:
    for y in range(max(0, region.y), min(len(lines), region.bottom)):
        line = lines[y].ljust(region.right)
        lines[y] = line[: max(0, region.x)] + " " * region.width + line[region.right :]


def screen_text(app) -> str:
    """The screen as rendered (what fits, wrapped and clipped), with content areas blanked."""
    screen = app.screen
    lines = [strip.text for strip in screen._compositor.render_strips()]
    for widget in screen.walk_children(with_self=False):
        if not widget.is_mounted or not widget.display:
            continue
        if isinstance(widget, UserPrompt) or (isinstance(widget, Input) and widget.value) or widget.has_class("card-negative"):
            _blank(lines, widget.content_region)
        elif _is_content(widget) and (widget.parent is None or not _is_content(widget.parent)):
            _blank(lines, widget.region)
    return "\n".join(lines)


@cache
def english_fragments() -> frozenset[str]:
    """Literal pieces (2+ words) of English messages whose translation differs."""
    english, portuguese = i18n.catalogue("en"), i18n.catalogue("pt-BR")
    fragments = set()
    for key, text in english.items():
        if portuguese.get(key) == text or key.startswith("settings.placeholder."):
            continue
        for literal, *_ in string.Formatter().parse(text):
            for piece in re.split(r"[.;:()\n·—]", literal or ""):
                piece = piece.strip(" ,“”\"'`-")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 and piece not in portuguese.get(key, ""):
                    fragments.add(piece)
    return frozenset(fragments)


def assert_portuguese(texts: Iterable[str], rendered: str, *, expected: Iterable[str]) -> None:
    texts = list(texts)
    joined = "\n".join(texts)
    english_words = sorted({match.group() for match in ENGLISH_RE.finditer(joined)})
    assert not english_words, f"English in the UI: {english_words}\n{[t for t in texts if ENGLISH_RE.search(t)]}"
    leftovers = sorted(fragment for fragment in english_fragments() if any(fragment in text for text in texts))
    assert not leftovers, f"English catalogue text in the UI: {leftovers}"
    on_screen = sorted({match.group() for match in ENGLISH_RE.finditer(rendered)})
    assert not on_screen, f"English on screen: {on_screen}\n{rendered}"
    missing = [word for word in expected if word not in joined and word not in rendered]
    assert not missing, f"expected Portuguese not found: {missing}\n{joined}"


def notifications(app) -> list[str]:
    """Toast messages (run_test does not draw toasts, but keeps them)."""
    return [f"{note.title} {note.message}".strip() for note in app._notifications]


def footer_labels(app) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def wait_for(pilot, condition, what: str) -> None:
    """Pause until ``condition()`` holds (a loaded machine may need several refreshes)."""
    await until(pilot, condition, what)


async def relabel(pilot) -> None:
    """Re-label bindings built (in English) when the screen modules were imported."""
    pilot.app.switch_language(i18n.get_language())
    await pilot.pause()


# -- 1. command line --------------------------------------------------------------------


def _help(*args: str, **env: str) -> str:
    environ = {**os.environ, **env}
    result = subprocess.run(
        [sys.executable, "-m", "g2d_tui", "--help", *args], capture_output=True, text=True, env=environ, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_help_in_portuguese_with_lang_flag():
    out = _help("--lang", "pt-BR")
    assert "mostra esta mensagem de ajuda" in out and "idioma da interface" in out
    assert "opções:" in out and "CAMINHO" in out
    assert "show this help" not in out and "interface language" not in out


def test_cli_help_follows_the_system_locale():
    out = _help(LANG="pt_BR.UTF-8")
    assert "mostra esta mensagem de ajuda" in out and "idioma" in out


def test_cli_flag_beats_the_locale_and_english_is_english():
    out = _help("--lang", "en", LANG="pt_BR.UTF-8")
    assert "show this help message" in out and "interface language" in out
    assert "mostra" not in out and "idioma" not in out


def test_cli_help_follows_the_settings_file(isolated_home):
    from g2d_tui.paths import config_path

    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[ui]\nlanguage = "pt-BR"\n', encoding="utf-8")
    assert "mostra esta mensagem de ajuda" in _help()


# -- 2. every label in pt-BR ------------------------------------------------------------


def _pt_settings(fake_gemini, fake_hf, folder, **images):
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder)
    settings.images.width, settings.images.height, settings.images.seed = 96, 64, 42
    for name, value in images.items():
        setattr(settings.images, name, value)
    return settings


async def test_chat_screen_is_all_portuguese(fake_gemini, fake_hf, tmp_path, monkeypatch):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    fake_gemini.enqueue(Reply(chunks=["Sure! ", "Here is some English content: Save, Cancel, Settings."]))
    i18n.set_language("pt-BR")
    app = make_app(_pt_settings(fake_gemini, fake_hf, tmp_path / "pics"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "Say Save and Cancel in English")  # the user's text is not UI
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse on a cliff")
        await settle(pilot)
        await relabel(pilot)
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        card = screen.query_one(ImageCard)
        assert card.state == "shown" and card.saved_path is not None, card._status_key
        assert screen.query_one(GeminiReply).has_class("-done")
        assert set(footer_labels(app)) >= {"Copiar", "Nova conversa", "Salvar", "Sair", "Ajuda", "Config."}
        assert_portuguese(
            ui_texts(screen),
            screen_text(app),
            expected=["Boas-vindas", "Você", "Copiar prompt", "Negativo:", "semente 42", "Salva em", "Nova conversa", "Escreva para o Gemini"],
        )
        await pilot.press("f1")  # the key help is built from the catalogue too
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        assert_portuguese([], screen_text(app), expected=["Teclas e comandos", "Em qualquer tela", "O que faz", "Fecha o g2d-tui"])


async def test_settings_screen_is_all_portuguese(fake_gemini):
    i18n.set_language("pt-BR")
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await relabel(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert set(footer_labels(app)) >= {"Salvar", "Ver/ocultar", "Voltar", "Sair", "Ajuda"}
        texts = ui_texts(screen)
        assert_portuguese(
            texts,
            screen_text(app),
            expected=["Configurações", "Chave de API", "Token de acesso", "Modelo", "Temperatura", "Pasta de destino",
                      "Idioma", "Tema", "Salvar", "Reverter", "Mostrar", "Salvas em ~/", "Hugging Face (provedores de inferência)",
                      "Automático (idioma do sistema)"],
        )
        # an error and the unsaved state read in Portuguese too
        field = screen.query_one("#gemini--temperature", Input)
        field.value = "7"
        await pilot.pause()
        assert "Precisa estar entre 0 e 2" in str(screen.query_one("#hint-gemini--temperature").render())
        assert "1 campo precisa de atenção" in str(screen.query_one("#settings-status").render())
        field.value = "0.5"
        await pilot.pause()
        assert "Alterações não salvas" in str(screen.query_one("#settings-status").render())
        assert "Reverter" in footer_labels(app)
        await pilot.press("escape")
        await pilot.pause()
        await relabel(pilot)
        dialog = app.screen
        assert [str(button.label) for button in dialog.query(Button)] == ["Salvar", "Descartar", "Continuar editando"]
        assert_portuguese(ui_texts(dialog), screen_text(app), expected=["Alterações não salvas", "Você alterou"])


# -- 3. switching at run time -----------------------------------------------------------


async def _choose_language(pilot, language: str) -> None:
    app = pilot.app
    if not isinstance(app.screen, SettingsScreen):
        await pilot.press("f2")
        await pilot.pause()
    app.screen.query_one("#ui--language", Select).value = language
    await pilot.pause()
    await pilot.press("ctrl+s")
    await app.screen.workers.wait_for_complete()
    await pilot.pause()


def _settings_texts(screen) -> list[str]:
    """The settings screen minus its choice lists (see test_settings_choices_follow_a_switch)."""
    stale_choices = {i18n.catalogue("en")["settings.backend.huggingface"], i18n.catalogue("en")["settings.language_auto"]}
    return [text for text in ui_texts(screen) if text not in stale_choices]


async def test_switching_language_relabels_the_live_ui(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await settle(pilot)
        chat = app.screen
        assert "New chat" in footer_labels(app)
        assert "Welcome" in " ".join(ui_texts(chat))

        await _choose_language(pilot, "pt-BR")
        settings = app.screen
        assert isinstance(settings, SettingsScreen) and not settings.dirty
        assert i18n.get_language() == "pt-BR"
        assert set(footer_labels(app)) >= {"Salvar", "Ver/ocultar", "Voltar"}
        assert str(settings.query_one("#label-gemini--api-key").render()) == "Chave de API"
        assert str(settings.query_one("#settings-title").render()) == "Configurações"
        assert any(text.startswith("Configurações salvas em ~/") for text in notifications(app))
        texts = _settings_texts(settings) + notifications(app)
        assert_portuguese(texts, "", expected=["Gemini (conversa e escrita de prompts)", "Salvar", "Reverter", "Mostrar"])

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat
        assert set(footer_labels(app)) >= {"Copiar", "Nova conversa", "Salvar", "Sair"}
        notes = [str(note.render()) for note in chat.query(Note)]
        assert notes[0].startswith("Boas-vindas")
        assert chat.query_one(UserPrompt).border_title == "Você"
        assert_portuguese(ui_texts(chat), screen_text(app), expected=["Boas-vindas", "Você", "Escreva para o Gemini"])

        await _choose_language(pilot, "en")
        assert i18n.get_language() == "en"
        assert str(app.screen.query_one("#label-gemini--api-key").render()) == "API key"
        assert {"Save", "Back"} <= set(footer_labels(app))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat
        assert {"New chat", "Copy", "Quit"} <= set(footer_labels(app))
        assert str(chat.query(Note).first().render()).startswith("Welcome")
        assert chat.query_one(UserPrompt).border_title == "You"


# Gaps found while translating, now fixed: keep them fixed.


async def test_screen_opened_after_a_switch_has_translated_keys(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.switch_language("pt-BR")
        await pilot.press("f2")
        await pilot.pause()
        assert {"Salvar", "Voltar"} <= set(footer_labels(app)), footer_labels(app)


async def test_settings_choices_follow_a_switch(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _choose_language(pilot, "pt-BR")
        backends = [str(prompt) for prompt, _ in app.screen.query_one("#images--backend", Select)._options]
        languages = [str(prompt) for prompt, _ in app.screen.query_one("#ui--language", Select)._options]
        assert backends == ["Hugging Face (provedores de inferência)", "Imagens do Gemini", "AUTOMATIC1111 / Forge (sua GPU)", "ComfyUI (sua GPU)"]
        assert languages[0] == "Automático (idioma do sistema)"


async def test_show_buttons_fit_their_new_label(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _choose_language(pilot, "pt-BR")
        await pilot.pause()
        for button in app.screen.query(".show-secret").results(Button):
            assert str(button.label) == "Mostrar"
            assert button.size.width >= len("Mostrar") + 2, button.size  # 9 when composed in pt-BR, 8 after the switch


async def test_nested_error_in_a_note_follows_a_switch(fake_gemini):
    fake_gemini.enqueue(GeminiError.internal(), on="models")
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.switch_language("pt-BR")
        await pilot.pause()
        note = str(app.screen.query(Note).last().render())
        assert note.startswith("Não foi possível listar")
        assert "internal error" not in note, note


# -- 4. pt-BR snapshots -----------------------------------------------------------------


def test_chat_snapshot_pt_br(snap_compare, fake_gemini, fake_hf, tmp_path, monkeypatch):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    fake_gemini.enqueue(Reply(chunks=["Tudo ótimo! ", "Como posso **ajudar** hoje?"]))
    i18n.set_language("pt-BR")
    app = make_app(_pt_settings(fake_gemini, fake_hf, tmp_path / "pics", auto_save=False))  # no timestamped file name

    async def run_before(pilot):
        await settle(pilot)
        await send(pilot, "Oi! Tudo bem?")
        await settle(pilot)
        await send(pilot, "/imagine um farol num penhasco")
        await settle(pilot)
        await relabel(pilot)
        pilot.app.screen.query_one("#chat-log").scroll_home(animate=False)  # the notes and the exchange, not only the picture
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)


def test_settings_snapshot_pt_br(snap_compare):
    i18n.set_language("pt-BR")
    app = make_app()  # no keys: opens on the settings screen, nothing path- or port-dependent on it

    async def run_before(pilot):
        app = pilot.app
        # the screen focuses the API key field when mounted: let that happen before moving on
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.focused is not None and app.focused.id == "gemini--api-key", "the settings screen")
        field = app.screen.query_one("#gemini--temperature", Input)
        field.focus()
        field.value = "7"
        await pilot.pause()
        await relabel(pilot)
        pilot.app.clear_notifications()  # the "add your keys" toast times out: keep it out of the picture
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)

