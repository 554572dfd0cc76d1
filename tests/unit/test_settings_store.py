"""Settings model and TOML store: round trip, atomic 0600 writes, damaged files, environment."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from g2d_tui.settings.model import Environment, FieldError, Settings, coerce, effective
from g2d_tui.settings.store import SettingsStore


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "cfg" / "config.toml")


def test_missing_file_gives_defaults(store):
    result = store.load()
    assert result.problems == []
    assert result.backup is None
    assert result.settings.to_dict() == Settings().to_dict()
    assert result.settings.images.save_dir.endswith("g2d-tui")


def test_round_trip_keeps_every_value(store):
    settings = Settings()
    settings.gemini.api_key = "AIza-test-key"
    settings.gemini.temperature = 0.3
    settings.gemini.top_k = 7
    settings.images.model = "Lykon/dreamshaper-8"
    settings.images.auto_save = False
    settings.images.seed = 42
    settings.images.save_dir = "/tmp/pics ünïcode"
    settings.ui.language = "pt-BR"
    settings.keymap = {"new_chat": "ctrl+n"}
    store.save(settings)
    loaded = store.load()
    assert loaded.problems == []
    assert loaded.settings.to_dict() == settings.to_dict()


def test_file_is_private_and_folder_created(store):
    store.save(Settings())
    assert store.path.parent.is_dir()
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_write_is_atomic_no_temp_left_and_old_file_intact_on_failure(store, monkeypatch):
    first = Settings()
    first.gemini.model = "first-model"
    store.save(first)

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", explode)
    second = Settings()
    second.gemini.model = "second-model"
    with pytest.raises(OSError):
        store.save(second)
    monkeypatch.undo()
    assert store.load().settings.gemini.model == "first-model"
    assert [p.name for p in store.path.parent.iterdir()] == ["config.toml"]


def test_corrupt_toml_gives_defaults_and_backup(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[gemini\nmodel = 'x'", encoding="utf-8")
    result = store.load()
    assert result.settings.to_dict() == Settings().to_dict()
    assert [p.key for p in result.problems] == ["config.corrupt"]
    assert result.backup is not None and result.backup.name.startswith("config.toml.bak-")
    assert result.backup.read_text(encoding="utf-8") == "[gemini\nmodel = 'x'"
    assert "TOML" in result.problems[0].message()


def test_wrong_types_and_ranges_keep_the_good_values(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        '[gemini]\nmodel = "gemini-x"\ntemperature = 5.0\ntop_k = "many"\n'
        '[images]\nwidth = 512\nauto_save = "yes"\nsteps = 0\n'
        '[ui]\nlanguage = "klingon"\n',
        encoding="utf-8",
    )
    result = store.load()
    settings = result.settings
    assert settings.gemini.model == "gemini-x"
    assert settings.images.width == 512
    assert settings.gemini.temperature == Settings().gemini.temperature
    assert settings.images.steps == 30
    names = sorted(p.params["name"] for p in result.problems)
    assert names == ["gemini.temperature", "gemini.top_k", "images.auto_save", "images.steps", "ui.language"]
    assert result.backup is not None and result.backup.exists()
    message = next(p for p in result.problems if p.params["name"] == "gemini.temperature").message()
    assert "between 0 and 2" in message


def test_unknown_keys_survive_a_save(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[gemini]\nmodel = "m"\nfuture_option = 3\n[plugins]\nfoo = "bar"\n', encoding="utf-8")
    result = store.load()
    assert result.problems == []
    store.save(result.settings, result.extra)
    data = tomllib.loads(store.path.read_text(encoding="utf-8"))
    assert data["plugins"] == {"foo": "bar"}
    assert data["gemini"]["future_option"] == 3
    assert data["gemini"]["model"] == "m"


def test_unreadable_path_reports_and_uses_defaults(store):
    store.path.mkdir(parents=True)  # a directory where the file should be
    result = store.load()
    assert [p.key for p in result.problems] == ["config.unreadable"]
    assert result.settings.to_dict() == Settings().to_dict()


def test_env_overrides_are_used_but_never_written(store):
    env = Environment.from_environ({"GOOGLE_API_KEY": "from-google-var", "HF_TOKEN": "hf-env", "G2D_HF_BASE_URL": "http://127.0.0.1:9"})
    settings = Settings()
    settings.gemini.api_key = "file-key"
    resolved = effective(settings, env)
    assert resolved.gemini_api_key == "from-google-var"
    assert env.gemini_key_var == "GOOGLE_API_KEY"
    assert resolved.hf_token == "hf-env"
    assert resolved.hf_base_url == "http://127.0.0.1:9"
    store.save(settings)
    text = store.path.read_text(encoding="utf-8")
    assert "from-google-var" not in text and "hf-env" not in text
    assert 'api_key = "file-key"' in text


def test_gemini_api_key_wins_over_google_api_key():
    env = Environment.from_environ({"GEMINI_API_KEY": "g1", "GOOGLE_API_KEY": "g2"})
    assert (env.gemini_api_key, env.gemini_key_var) == ("g1", "GEMINI_API_KEY")


@pytest.mark.parametrize(
    ("section", "name", "raw", "expected"),
    [
        ("gemini", "temperature", "0,7", 0.7),
        ("gemini", "top_k", " 12 ", 12),
        ("images", "guidance_scale", 7, 7.0),
        ("images", "auto_save", "false", False),
        ("ui", "language", "pt-BR", "pt-BR"),
    ],
)
def test_coerce_accepts(section, name, raw, expected):
    assert coerce(section, name, raw) == expected


@pytest.mark.parametrize(
    ("section", "name", "raw", "key"),
    [
        ("gemini", "temperature", "hot", "settings.error.number"),
        ("gemini", "top_p", "1.5", "settings.error.range"),
        ("gemini", "top_k", "2.5", "settings.error.int"),
        ("images", "seed", True, "settings.error.number"),
        ("images", "width", 4096, "settings.error.range"),
        ("images", "backend", "dall-e", "settings.error.choice"),
        ("gemini", "model", 3, "settings.error.text"),
    ],
)
def test_coerce_refuses(section, name, raw, key):
    with pytest.raises(FieldError) as caught:
        coerce(section, name, raw)
    assert caught.value.key == key
