"""The secrets registry, the redacting log filter, masked reprs and the crash helpers."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from g2d_tui import crash
from g2d_tui.services import secrets
from g2d_tui.services.gemini import GeminiConfig
from g2d_tui.services.images.hf import HFConfig
from g2d_tui.settings.model import Environment, GeminiSettings, HuggingFaceImageSettings, ImageSettings, Settings, effective
from g2d_tui.settings.store import SettingsStore, parse

KEY = "AIza" + "SECRETregistryKEY1234567890abcdef"  # fake
TOKEN = "hf_" + "SECRETregistryTOKENabcdefghijklmn"


@pytest.fixture(autouse=True)
def empty_registry():
    secrets.forget_all()
    yield
    secrets.forget_all()


def test_remembered_values_are_masked_longest_first():
    secrets.remember(KEY, "", None, "abc", f"  {TOKEN}  ")  # empty, None and very short ones are skipped
    text = f"key={KEY} token={TOKEN} abc"
    assert secrets.redact_all(text) == "key=•••• token=•••• abc"
    secrets.remember(KEY[:12])  # a prefix of a known key: the whole key still goes as one
    assert secrets.redact_all(KEY) == "••••"


def test_settings_environment_and_saves_fill_the_registry(tmp_path):
    parse({"gemini": {"api_key": KEY}})
    assert secrets.redact_all(KEY) == "••••"
    Environment.from_environ({"HF_TOKEN": TOKEN})
    assert secrets.redact_all(TOKEN) == "••••"
    secrets.forget_all()
    settings = Settings()
    settings.images.huggingface.api_key = TOKEN
    SettingsStore(tmp_path / "config.toml").save(settings)
    assert secrets.contains_secret(f"x{TOKEN}x")


def test_every_object_holding_a_key_has_a_masked_repr():
    settings = Settings(gemini=GeminiSettings(api_key=KEY), images=ImageSettings(huggingface=HuggingFaceImageSettings(api_key=TOKEN)))
    env = Environment(gemini_api_key=KEY, gemini_key_var="GEMINI_API_KEY", hf_token=TOKEN)
    objects = [settings, settings.gemini, settings.images, env, effective(settings, env), GeminiConfig(api_key=KEY), HFConfig(api_key=TOKEN)]
    for item in objects:
        text = repr(item) + str(item)
        assert "SECRET" not in text, text
    assert settings.to_dict()["gemini"]["api_key"] == KEY  # saving still sees the value


def test_log_records_of_any_logger_are_redacted(caplog):
    secrets.install_log_filter()
    secrets.remember(KEY, TOKEN)
    caplog.set_level(logging.DEBUG)
    child = logging.getLogger("g2d_tui.services.somewhere")
    child.warning("calling with %s", KEY)
    logging.getLogger().error("token %(token)s", {"token": TOKEN})
    try:
        raise RuntimeError(f"server said bad key {KEY}")
    except RuntimeError:
        child.exception("request failed")
    child.info("stack", stack_info=True)
    text = caplog.text
    assert "calling with ••••" in text and "token ••••" in text and "server said bad key ••••" in text
    assert "SECRET" not in text
    assert all("SECRET" not in record.getMessage() for record in caplog.records)


def test_the_filter_leaves_records_alone_when_nothing_is_secret(caplog):
    secrets.install_log_filter()
    caplog.set_level(logging.INFO)
    logging.getLogger("g2d_tui.x").info("plain %d", 5)
    assert caplog.records[-1].args == (5,) and caplog.records[-1].getMessage() == "plain 5"


def _raise_with_secret_locals():
    api_key = KEY  # noqa: F841 - a local the old crash screen would print
    raise ValueError(f"boom \x1b]52;c;aGk=\x07 {TOKEN}")


def test_crash_report_has_no_locals_no_secrets_no_controls(tmp_path):
    secrets.remember(KEY, TOKEN)
    try:
        _raise_with_secret_locals()
    except ValueError as error:
        path = crash.write_report(error, tmp_path / "log")
        rendered = crash.traceback_renderable(error)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert "ValueError: boom ␛]52;c;aGk=␇ ••••" in text
    assert "SECRET" not in text and "\x1b" not in text and "api_key = " not in text
    from rich.console import Console

    console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(rendered)
    shown = console.export_text()
    assert "boom" in shown and "SECRET" not in shown and "\x1b]52" not in shown


def test_an_unwritable_log_folder_gives_no_report_and_no_second_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert crash.write_report(RuntimeError("x"), blocker / "log") is None
    assert "could not be saved" in crash.exit_message(None)
