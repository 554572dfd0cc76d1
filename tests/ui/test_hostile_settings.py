"""A settings file full of values that parse but make no sense: the app starts, says so, and quits with ctrl+q."""

from __future__ import annotations

from pathlib import Path

from g2d_tui.paths import config_path
from g2d_tui.settings.model import DEFAULT_CHAT_MODEL, Settings
from tests.faults.helpers import notes
from tests.ui.helpers import make_app, settle

HOSTILE_FILE = """\
[gemini]
api_key = "AIzaFAKE-test-key-0000"
base_url = "GEMINI_URL"
model = "[bold red]gemini\\u001b]52;c;cHduZWQ=\\u0007"
temperature = nan
top_p = inf

[images]
api_key = "hf_FAKE\\u001b[2J"
model = "[/x]"
negative_prompt = "blurry\\u001b]0;pwned\\u0007, \\u009b2J text"
guidance_scale = -inf

[ui]
theme = "[/x]"

[keymap]
quit = "Ctrl+Q"
help = "f99"
new_chat = "ctrl+n"
"""


def _write(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def test_nonsense_values_are_reported_and_the_app_still_starts_and_quits(fake_gemini):
    _write(HOSTILE_FILE.replace("GEMINI_URL", fake_gemini.base_url))
    app = make_app()
    defaults = Settings()
    assert app.settings.gemini.model == DEFAULT_CHAT_MODEL
    assert app.settings.ui.theme == defaults.ui.theme and app.settings.images.model == defaults.images.model
    assert app.settings.gemini.temperature == defaults.gemini.temperature
    assert app.settings.images.huggingface.api_key == ""
    assert app.keymap_check.keymap == {"new_chat": "ctrl+n"}
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        shown = notes(app.screen)
        assert "\x1b" not in shown and "\x9b" not in shown
        assert "Setting gemini.temperature was ignored" in shown and "Setting ui.theme was ignored" in shown
        assert "names a key that cannot be bound (“Ctrl+Q”)" in shown and "“f99”" in shown
        assert "images.negative_prompt held control characters" in shown
        await pilot.press("ctrl+q")  # quit kept its default key
        await pilot.pause()
    assert app.return_code == 0


def _keyed(fake_gemini) -> str:
    return f'[gemini]\napi_key = "AIzaFAKE-test-key-0000"\nbase_url = "{fake_gemini.base_url}"\n[images]\napi_key = "hf_FAKE"\n'


async def test_a_keymap_that_takes_every_quit_key_leaves_ctrl_q_to_quit(fake_gemini):
    _write(_keyed(fake_gemini) + '[keymap]\nhelp = "ctrl+q"\nnew_chat = "ctrl+n,ctrl+q"\n')
    app = make_app()
    assert app.keymap_check.keymap == {"quit": "ctrl+q", "new_chat": "ctrl+n"}
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert "ctrl+q still quits" in notes(app.screen)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running


async def test_a_remapped_quit_key_works_and_saving_applies_the_checked_keymap(fake_gemini):
    _write(_keyed(fake_gemini) + '[keymap]\nquit = "ctrl+x"\n')
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        new = app.settings.copy()
        new.keymap = {"quit": "f12", "help": "nonsense-key"}
        await app.save_settings(new)
        assert app._keymap == {"quit": "f12"}
        await pilot.press("f12")
        await pilot.pause()
    assert not app.is_running
