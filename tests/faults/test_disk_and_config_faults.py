"""Disk and settings-file faults through the real UI.

Disk: the images folder cannot be used (under a file, is a file, read-only) — the
picture stays on screen with the reason and can be saved later; odd folder names and
hostile request texts still save inside the folder under a sanitised name.

Config: corrupt TOML, wrong types, out-of-range values, a directory where the file
should be — the app starts, says what happened, keeps a backup when there is a file to
back up, and leaves the file alone until the user saves.

As root ``chmod`` does not stop writes, so "read-only" uses /sys (EACCES/EPERM even
for root) when running as root, and a 0500 folder otherwise.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

import pytest

from g2d_tui.paths import config_path, display_path
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.widgets.image_card import ImageCard
from tests.faults.helpers import (
    SIZE,
    assert_hello_works,
    card_saved,
    card_status,
    config_bytes,
    keyed_settings,
    make_app,
    notes,
    prompt_text,
    send,
    settle,
    wait_until,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders), but the app's data folder
    (the history store is written as the chat goes: not a picture, not settings)."""
    from g2d_tui.paths import data_dir

    data = data_dir()
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not (p == data or data in p.parents or p in data.parents)
    }


# -- the images folder cannot be used ---------------------------------------------------


def _folder_case(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """(save folder, words expected in the card) for each unusable-folder case."""
    blocker = tmp_path / "a-file.txt"
    blocker.write_text("not a folder")
    if kind == "under-a-file":
        return blocker / "images", f"{blocker} is a file, not a folder"
    if kind == "is-a-file":
        return blocker, f"{blocker} is a file, not a folder"
    if kind == "read-only-existing":
        if IS_ROOT:
            if not Path("/sys/kernel").is_dir():
                pytest.skip("no /sys to stand in for a read-only folder")
            return Path("/sys/kernel"), "Cannot write to /sys/kernel"
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked, f"Cannot write to {locked}"
    if kind == "read-only-uncreatable":
        if IS_ROOT:
            if not Path("/sys").is_dir():
                pytest.skip("no /sys to stand in for a read-only file system")
            return Path("/sys/g2d-faults-not-here"), "Cannot write to /sys/g2d-faults-not-here"
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked / "new", f"Cannot write to {locked / 'new'}"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["under-a-file", "is-a-file", "read-only-existing", "read-only-uncreatable"])
async def test_unusable_images_folder_keeps_the_picture_and_says_why(fake_gemini, fake_hf, tmp_path, kind):
    folder, words = _folder_case(kind, tmp_path)
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder))
    before, files_before = config_bytes(), _tree(tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await send(pilot, "/imagine a lighthouse")
            await settle(pilot)
            card = app.screen.query_one(ImageCard)
            assert card.state == "shown", card_status(card)  # the picture is made and shown...
            assert card.image is not None and card.saved_path is None  # ...and kept for a later ctrl+s
            saved = card_saved(card)
            assert saved.startswith("Not saved:") and words in saved, saved
            assert "fix the folder in Settings and press ctrl+s" in saved
            assert any(words in str(n.message) for n in app._notifications)
            assert prompt_text(app) == ""  # the request itself succeeded
            await assert_hello_works(pilot, fake_gemini)
            assert card.image is not None
    finally:
        if not IS_ROOT and (tmp_path / "locked").exists():
            (tmp_path / "locked").chmod(0o700)
    assert config_bytes() == before
    assert _tree(tmp_path) == files_before  # nothing written, nothing left behind
    assert not Path("/sys/g2d-faults-not-here").exists()


ODD_FOLDER = "my pics #1 'single' \"double\" ünïcødé ✨ $HOME %s {x} ~ & ; `tick`"
HOSTILE_REQUEST = '../../etc/passwd "x" <y> ✨'


async def test_odd_folder_name_and_hostile_request_text_save_inside_the_folder(fake_gemini, fake_hf, tmp_path):
    base = tmp_path / "root"
    folder = base / ODD_FOLDER / "deeper level"
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder))
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a quiet harbour")
        await send(pilot, f"/imagine {HOSTILE_REQUEST}")
        await settle(pilot)
        cards = list(app.screen.query(ImageCard))
        assert [card.state for card in cards] == ["shown", "shown"], [card_status(c) for c in cards]
        assert all(card.saved_path is not None and card.saved_path.parent == folder for card in cards)
        assert str(cards[1].query_one(".card-request").render()) == HOSTILE_REQUEST  # shown verbatim
        assert "Saved to" in card_saved(cards[0]) and ODD_FOLDER in card_saved(cards[0])
        await assert_hello_works(pilot, fake_gemini)
    assert config_bytes() == before
    every_file = [p for p in tmp_path.rglob("*") if p.is_file()]
    pngs = sorted(p for p in every_file if p.suffix == ".png")
    assert sorted(p.parent for p in pngs) == [folder, folder]
    names = sorted(p.name for p in pngs)
    assert all(re.fullmatch(r"\d{8}-\d{6}-[a-z0-9-]+\.png", name) for name in names), names
    assert any(name.endswith("-etc-passwd-x-y.png") for name in names), names
    assert any(name.endswith("-a-quiet-harbour.png") for name in names), names
    assert all(p.resolve().is_relative_to(folder.resolve()) for p in pngs)
    assert not list(folder.glob(".*.part"))  # no temporary file left behind
    assert not (tmp_path / "etc").exists() and not (base / "etc").exists()


# -- the settings file is damaged -------------------------------------------------------

CORRUPT = b'[gemini]\napi_key = "AIza-in-the-broken-file\ntemperature = = 3\n[[[\n'


def _env(fake_gemini) -> dict[str, str]:
    """Keys from the environment, so the app can chat whatever the file says."""
    return {"GEMINI_API_KEY": "AIzaENV-faults-0000", "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url}


def _chat_notes(app) -> str:
    chat = next(screen for screen in app.screen_stack if isinstance(screen, ChatScreen))
    return notes(chat)


def _write_config(data: bytes) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bak-*"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_corrupt_toml_starts_with_defaults_message_and_backup(fake_gemini):
    path = _write_config(CORRUPT)
    app = make_app(environ=_env(fake_gemini))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        shown = _chat_notes(app)
        assert "The settings file is not valid TOML" in shown and "Defaults are in use" in shown
        backups = _backups(path)
        assert len(backups) == 1
        assert f"A copy of the original settings file was kept at {display_path(backups[0])}." in shown
        assert any("settings file had one problem;" in str(n.message) for n in app._notifications)
        await assert_hello_works(pilot, fake_gemini)
        assert path.read_bytes() == CORRUPT  # untouched while the app runs
    assert path.read_bytes() == CORRUPT
    assert backups[0].read_bytes() == CORRUPT
    assert _mode(backups[0]) == 0o600
    assert fake_gemini.requests_to("stream")[-1].headers["x-goog-api-key"] == "AIzaENV-faults-0000"


WRONG_TYPES = """\
[gemini]
api_key = "AIzaFILE-faults-0000"
base_url = "{url}"
temperature = "hot"
top_k = 1.5
max_output_tokens = true

[images]
auto_save = "yes"
width = "wide"

ui = 5

[keymap]
new_chat = 7

[future]
kept = "as is"
"""

OUT_OF_RANGE = """\
[gemini]
api_key = "AIzaFILE-faults-0000"
base_url = "{url}"
temperature = 5
top_p = -0.5
max_prompt_tokens = 99999

[images]
width = 99999
steps = 0
seed = -7
backend = "dall-e"

[ui]
language = "klingon"
"""


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            WRONG_TYPES,
            [
                "Setting gemini.temperature was ignored: Must be a number.",
                "Setting gemini.top_k was ignored: Must be a whole number.",
                "Setting gemini.max_output_tokens was ignored: Must be a number.",
                "Setting images.auto_save was ignored: Must be on or off.",
                "Setting images.width was ignored: Must be a whole number.",
                "Setting keymap.new_chat was ignored",
            ],
        ),
        (
            OUT_OF_RANGE,
            [
                "Setting gemini.temperature was ignored: Must be between 0 and 2.",
                "Setting gemini.top_p was ignored: Must be between 0 and 1.",
                "Setting gemini.max_prompt_tokens was ignored: Must be between 16 and 2000.",
                "Setting images.width was ignored: Must be between 64 and 2048.",
                "Setting images.steps was ignored: Must be between 1 and 150.",
                "Setting images.seed was ignored: Must be between -1 and 4294967295.",
                "Setting images.backend was ignored: Must be one of 'huggingface', 'gemini', 'a1111', 'comfyui'.",
                "Setting ui.language was ignored: Must be one of",
            ],
        ),
    ],
    ids=["wrong-types", "out-of-range"],
)
async def test_bad_values_are_reported_good_ones_kept_and_file_untouched(fake_gemini, template, expected):
    data = template.replace("{url}", fake_gemini.base_url).encode()
    path = _write_config(data)
    app = make_app()  # no environment: the key and endpoint must come from the good part of the file
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        shown = _chat_notes(app)
        for words in expected:
            assert words in shown, (words, shown)
        backups = _backups(path)
        assert len(backups) == 1 and backups[0].read_bytes() == data and _mode(backups[0]) == 0o600
        assert f"kept at {display_path(backups[0])}." in shown
        # good values survive, bad ones fall back to the defaults
        assert app.settings.gemini.api_key == "AIzaFILE-faults-0000"
        assert app.settings.gemini.temperature == 1.0
        assert app.settings.images.width == 1024
        await assert_hello_works(pilot, fake_gemini)
    assert path.read_bytes() == data
    assert fake_gemini.requests_to("stream")[-1].headers["x-goog-api-key"] == "AIzaFILE-faults-0000"


async def test_wrong_section_type_is_reported(fake_gemini):
    data = f'ui = 5\n[gemini]\napi_key = "AIzaFILE-faults-0000"\nbase_url = "{fake_gemini.base_url}"\n'.encode()
    path = _write_config(data)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Section [ui] of the settings file should be a table; it was ignored." in _chat_notes(app)
    assert path.read_bytes() == data


async def test_directory_at_the_config_path_starts_with_defaults_and_explains(fake_gemini):
    path = config_path()
    path.mkdir(parents=True)
    (path / "inside.txt").write_text("keep me")
    app = make_app(environ=_env(fake_gemini))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        shown = _chat_notes(app)
        assert f"Could not read the settings file {path} ({path} is a folder, not a file). Defaults are in use." in shown
        await assert_hello_works(pilot, fake_gemini)
        # Saving from the settings screen cannot replace a directory: it says so, form kept.
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Could not write" in str(n.message) and "Your changes are still in the form" in str(n.message)
                   for n in app._notifications)
        assert isinstance(app.screen, SettingsScreen)
    assert path.is_dir() and (path / "inside.txt").read_text() == "keep me"
    assert not _backups(path)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".config-")]  # no temp file left


async def test_no_backup_claim_when_no_backup_was_made(fake_gemini):
    config_path().mkdir(parents=True)
    app = make_app(environ=_env(fake_gemini))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.config_backup is None
        assert "Could not read the settings file" in _chat_notes(app)
        assert "copy of the original settings file" not in _chat_notes(app)


async def test_corrupt_file_is_replaced_only_when_the_user_saves(fake_gemini):
    path = _write_config(CORRUPT)
    app = make_app(environ=_env(fake_gemini))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert path.read_bytes() == CORRUPT
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert path.read_bytes() == CORRUPT  # opening settings does not write
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await wait_until(pilot, lambda: path.read_bytes() != CORRUPT, seconds=5)
        assert not app.screen.dirty
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert saved["gemini"]["temperature"] == 1.0
    assert _mode(path) == 0o600
    backups = _backups(path)
    assert len(backups) == 1 and backups[0].read_bytes() == CORRUPT  # the backup outlives the save
