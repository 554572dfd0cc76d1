"""The snapshot matrix: the states a user meets most, at 120×40 and 80×24, in English and
Portuguese. Review the report before ``--snapshot-update``.

Deterministic by construction: a fixed seed and a 64×64 picture from the fake, auto-save
off (no timestamped file names), the fakes' addresses (random ports) in the environment
rather than in the settings form, no toasts or blinking cursors (``quiet``), and every
step waits for a condition, never for time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.widgets import Input, Select

from g2d_tui import i18n
from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.help import HelpScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.settings.model import Settings
from g2d_tui.widgets.image_card import ImageCard
from tests.fakes.hf_server import Error, Hang
from tests.ui.helpers import entries, keyed_settings, make_app, no_blink, quiet, send, settle, until

SIZES = {"120x40": (120, 40), "80x24": (80, 24)}
LANGUAGES = ["en", "pt-BR"]
REQUEST = "/imagine a lighthouse at dusk"


async def chat_ready(pilot) -> None:
    """The first frame's put-off work is done: pickers filled, model list in."""
    await until(pilot, lambda: getattr(pilot.app.screen, "ready", False) and pilot.app.chat_models, "the chat never got ready")
    await settle(pilot)


def card_state(app) -> str | None:
    cards = entries(app, "image")
    return cards[-1].run.state if cards else None


# -- the scenes: each brings the app to one state -------------------------------------------


async def card_done(pilot, fakes) -> None:
    await send(pilot, REQUEST)
    await until(pilot, lambda: card_state(pilot.app) == "shown", "the picture never showed")
    await settle(pilot)
    await until(pilot, lambda: pilot.app.screen.query(ImageCard).first().query(".card-image"), "no picture widget")


async def card_failed(pilot, fakes) -> None:
    fakes["hf"].enqueue(Error(500))
    await send(pilot, REQUEST)
    await until(pilot, lambda: card_state(pilot.app) == "error", "the card never failed")
    await settle(pilot)


async def card_cancelled(pilot, fakes) -> None:
    fakes["hf"].enqueue(Hang(seconds=60))
    await send(pilot, REQUEST)
    await until(pilot, lambda: card_state(pilot.app) == "generating" and fakes["hf"].requests, "the picture was never asked for")
    await pilot.press("escape")
    await until(pilot, lambda: card_state(pilot.app) == "cancelled", "escape did not cancel")
    await settle(pilot)


async def notes(pilot, fakes) -> None:
    """An error note (a [keymap] id that names nothing) and a warning (no Hugging Face token)."""
    app = pilot.app
    assert [problem.key for problem in app.load_problems] == ["keymap.unknown_id"]
    assert app.missing_keys() == ["keys.missing_hf"]


async def picker_open(pilot, fakes) -> None:
    await pilot.press("f4")
    picker = pilot.app.screen.query_one("#image-model", Select)
    await until(pilot, lambda: picker.expanded, "the image model list did not open")


async def settings_screen(pilot) -> SettingsScreen:
    await pilot.press("f2")
    await until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen) and pilot.app.screen.focused, "no settings")
    return pilot.app.screen


async def unsaved_dialog(pilot, fakes) -> None:
    screen = await settings_screen(pilot)
    screen.query_one("#gemini--temperature", Input).value = "0.5"
    await until(pilot, lambda: screen.dirty, "the change did not count")
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "no unsaved-changes dialog")


async def field_errors(pilot, fakes) -> None:
    screen = await settings_screen(pilot)
    for widget_id, value in (("gemini--temperature", "7"), ("gemini--top-k", "0"), ("gemini--top-p", "lots")):
        screen.query_one(f"#{widget_id}", Input).value = value
    await until(pilot, lambda: len(screen.errors) == 3, "the fields were not marked")
    screen.query_one("#gemini--temperature", Input).focus()


async def help_screen(pilot, fakes) -> None:
    await pilot.press("f1")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "no help")


def notes_settings(settings: Settings) -> None:
    settings.keymap = {"no_such_binding": "ctrl+x"}
    settings.images.huggingface.api_key = ""


SCENES: dict[str, tuple[Callable[..., Awaitable[None]], Callable[[Settings], None] | None]] = {
    "card_done": (card_done, None),
    "card_failed": (card_failed, None),
    "card_cancelled": (card_cancelled, None),
    "notes": (notes, notes_settings),
    "picker_open": (picker_open, None),
    "unsaved_dialog": (unsaved_dialog, None),
    "field_errors": (field_errors, None),
    "help": (help_screen, None),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_matrix(snap_compare, fake_gemini, fake_hf, monkeypatch, scene, size, language):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    run, adjust = SCENES[scene]
    settings = keyed_settings()  # the fakes' URLs (random ports) come from the environment, not shown
    settings.images.save_dir = "~/Pictures/g2d-tui"  # shown as typed; never written to (auto-save off)
    settings.images.width = settings.images.height = 64
    settings.images.seed = 7
    settings.images.auto_save = False
    if adjust is not None:
        adjust(settings)
    i18n.set_language(language)  # as __main__ does, before the app is made
    environ = {"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url, "G2D_HF_BASE_URL": fake_hf.base_url, "G2D_HF_HUB_URL": fake_hf.base_url}
    app = make_app(settings, environ)

    async def run_before(pilot) -> None:
        await chat_ready(pilot)
        # Before the scene, not only at the end: the message box caches its lines drawn while
        # the cursor blinked off, and a text put back into it (a failed /imagine) kept them.
        no_blink(pilot.app)
        await run(pilot, {"gemini": fake_gemini, "hf": fake_hf})
        quiet(pilot.app)
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
