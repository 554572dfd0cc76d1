"""Files left by a killed or failing save: none with keys, none partial, leftovers cleaned."""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from g2d_tui.services import image_store
from g2d_tui.settings.model import Settings
from g2d_tui.settings.store import ConfigFolderError, SettingsStore
from tests.unit.test_image_store import files, make_image

KEY = "AIza" + "SECRETfilesKEY0123456789abcdefghijk"  # fake


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


# -- settings --------------------------------------------------------------------------


def test_config_folder_is_created_private_and_the_file_0600(tmp_path):
    store = SettingsStore(tmp_path / "a" / "g2d-tui" / "config.toml")
    settings = Settings()
    settings.gemini.api_key = KEY
    store.save(settings)
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.path.chmod(0o644)
    store.save(settings)  # a file someone opened up is private again after a save
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_failed_save_leaves_no_temp_file_with_the_key(tmp_path, monkeypatch):
    store = SettingsStore(tmp_path / "cfg" / "config.toml")
    store.save(Settings())

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    settings = Settings()
    settings.gemini.api_key = KEY
    with pytest.raises(OSError):
        store.save(settings)
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["config.toml"]
    assert KEY not in store.path.read_text()


def test_stale_temp_files_of_a_killed_save_are_removed_on_load(tmp_path):
    store = SettingsStore(tmp_path / "cfg" / "config.toml")
    store.save(Settings())
    stale = store.path.parent / ".config-abc123.tmp"
    stale.write_text(f'[gemini]\napi_key = "{KEY}"\n')
    _age(stale, 3600)
    fresh = store.path.parent / ".config-inflight.tmp"  # another instance saving right now
    fresh.write_text("x")
    unrelated = store.path.parent / "notes.tmp"
    unrelated.write_text("x")
    _age(unrelated, 3600)
    store.load()
    assert not stale.exists()
    assert fresh.exists() and unrelated.exists()


def test_a_config_folder_that_is_a_file_is_named_in_the_error(tmp_path):
    blocker = tmp_path / "cfg"
    blocker.write_text("not a folder")
    store = SettingsStore(blocker / "sub" / "config.toml")
    with pytest.raises(ConfigFolderError) as caught:
        store.save(Settings())
    assert caught.value.strerror == f"{blocker} is a file, not a folder"
    assert "File exists" not in str(caught.value)
    loaded = store.load()
    assert [problem.key for problem in loaded.problems] == ["config.unreadable"]
    assert f"{blocker} is a file, not a folder" in loaded.problems[0].message()


# -- images ----------------------------------------------------------------------------


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def no_hard_links(monkeypatch):
    def refuse(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)  # FAT/exFAT, some network mounts


@pytest.mark.skipif(image_store._renameat2 is None, reason="no renameat2 in this C library")
def test_without_hard_links_renameat2_moves_the_whole_file_without_overwriting(out, no_hard_links):
    taken = out / "20250304-050607-a-red-fox-in-the-snow.png"
    taken.write_bytes(b"someone else's picture")
    saved = image_store.save(make_image(), out)
    assert saved.name == "20250304-050607-a-red-fox-in-the-snow-2.png"
    assert taken.read_bytes() == b"someone else's picture"
    assert saved.read_bytes().startswith(b"\x89PNG") and files(out) == sorted([taken.name, saved.name])


def test_without_renameat2_the_fallback_still_never_overwrites(out, no_hard_links, monkeypatch):
    monkeypatch.setattr(image_store, "_renameat2", None)
    taken = out / "20250304-050607-a-red-fox-in-the-snow.png"
    taken.write_bytes(b"someone else's picture")
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(image_store.save(make_image(), out))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({path.name for path in results}) == 4  # concurrent saves got four names
    assert taken.read_bytes() == b"someone else's picture"
    assert len(files(out)) == 5 and not any(name.endswith(".part") for name in files(out))


def test_a_failed_write_without_hard_links_leaves_nothing_under_a_final_name(out, no_hard_links, monkeypatch):
    def broken(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(image_store.ImageError):
        image_store.save(make_image(), out)
    assert files(out) == []


def test_the_final_name_only_ever_holds_the_complete_file(out, no_hard_links, monkeypatch):
    """Watch the folder while the bytes are flushed: no .png is there before they all are."""
    from g2d_tui.services.png_metadata import png_with_parameters

    pngs_during_write: list[str] = []
    real_fsync = os.fsync

    def watching_fsync(fd):
        pngs_during_write.extend(name for name in files(out) if name.endswith(".png"))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    saved = image_store.save(make_image(), out)
    assert pngs_during_write == []
    assert saved.read_bytes() == png_with_parameters(make_image())


def test_stale_part_files_older_than_a_day_are_removed(out):
    old = out / ".20240101-000000-x.deadbeef.part"
    old.write_bytes(b"partial")
    _age(old, 25 * 3600)
    recent = out / ".20250101-000000-y.cafebabe.part"  # a save in progress
    recent.write_bytes(b"partial")
    _age(recent, 3600)
    image_store.save(make_image(), out)
    assert not old.exists() and recent.exists()
