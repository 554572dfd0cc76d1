"""Each class of failure ends with its own exit code and a message on stderr, never a traceback."""

from __future__ import annotations

import socket

import pytest

from g2d_tui import i18n
from g2d_tui.cli.exit_codes import EXIT_BY_KEY, ExitCode, exit_code_for
from tests.cli.helpers import run_command, settings_file
from tests.fakes import gemini_server as gemini
from tests.fakes import hf_server as hf


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once closed


def test_the_codes_are_distinct():
    assert len({code.value for code in ExitCode}) == len(ExitCode)
    assert ExitCode.OK == 0 and ExitCode.USAGE == 2 and ExitCode.INTERRUPTED == 130


def test_every_failure_message_of_the_services_has_an_exit_code():
    """A new error key must be classified here (else scripts would see "other")."""
    messages = i18n.catalogue("en")
    failures = {
        key for key in messages
        if key.split(".")[0] in ("gemini", "images", "store")
        and not key.split(".")[1].startswith(("progress_", "finish_")) and key != "store.saved"
    }
    assert failures == set(EXIT_BY_KEY)
    assert exit_code_for("images.someday_new") == ExitCode.OTHER


@pytest.mark.parametrize(
    ("behaviour", "code", "says"),
    [
        (gemini.Error.invalid_key(), ExitCode.KEY_REJECTED, "Gemini rejected the API key"),
        (gemini.Error.permission_denied(), ExitCode.KEY_REJECTED, "permission denied"),
        (gemini.Error.rate_limited(), ExitCode.QUOTA, "Try again in 19 s"),
        (gemini.Error.rate_limited(retry_delay=None), ExitCode.QUOTA, "quota was reached"),
        (gemini.Blocked("SAFETY"), ExitCode.BLOCKED, "Gemini blocked this prompt"),
        (gemini.CutStream(), ExitCode.NETWORK, "connection dropped"),
        (gemini.Error.internal(), ExitCode.OTHER, "internal error"),
        (gemini.Error.model_not_found(), ExitCode.OTHER, "has no model"),
    ],
)
def test_ask_failures(tmp_path, fake_gemini, behaviour, code, says):
    config = settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url)
    fake_gemini.enqueue(behaviour)
    ran = run_command("ask", "--config", str(config), "hi", stdin="")
    assert ran.code == code
    assert ran.stderr.startswith("g2d-tui: ") and says in ran.stderr
    assert "Traceback" not in ran.stderr and "AIzaFAKE" not in ran.stderr


def test_missing_key(tmp_path):
    ran = run_command("ask", "hi", stdin="")
    assert ran.code == ExitCode.MISSING_KEY == 3
    assert "No Gemini API key" in ran.stderr


def test_nothing_listening(tmp_path):
    config = settings_file(tmp_path / "config.toml", gemini_url=f"http://127.0.0.1:{closed_port()}")
    ran = run_command("ask", "--config", str(config), "hi", stdin="")
    assert ran.code == ExitCode.NETWORK
    assert "Could not reach Gemini" in ran.stderr


@pytest.mark.parametrize(
    ("behaviour", "code", "says"),
    [
        (hf.Corrupt(), ExitCode.IMAGE_INVALID, "damaged or incomplete"),
        (hf.NotImage(), ExitCode.IMAGE_INVALID, "instead of an image"),
        (hf.Error(401), ExitCode.KEY_REJECTED, "rejected the token"),
        (hf.Error(402), ExitCode.QUOTA, "credits are used up"),
        (hf.Error(429), ExitCode.QUOTA, "Try again in 7 s"),
        (hf.Drop(), ExitCode.NETWORK, "dropped before the image arrived"),
        (hf.Error(500), ExitCode.OTHER, "server error (HTTP 500)"),
    ],
)
def test_imagine_failures(tmp_path, fake_gemini, fake_hf, behaviour, code, says):
    config = settings_file(tmp_path / "config.toml", fake_gemini.base_url, fake_hf.base_url, tmp_path / "saved")
    fake_hf.enqueue(behaviour)
    ran = run_command("imagine", "--config", str(config), "a", "fox")
    assert ran.code == code
    assert says in ran.stderr and "Traceback" not in ran.stderr
    assert ran.stdout == "" and not (tmp_path / "saved").exists()


def test_imagine_blocked_prompt(tmp_path, fake_gemini, fake_hf):
    config = settings_file(tmp_path / "config.toml", fake_gemini.base_url, fake_hf.base_url)
    fake_gemini.enqueue(gemini.Blocked("PROHIBITED_CONTENT"))
    ran = run_command("imagine", "--config", str(config), "something")
    assert ran.code == ExitCode.BLOCKED
    assert fake_hf.requests == []


def test_imagine_without_an_image_token(tmp_path, fake_gemini):
    config = tmp_path / "config.toml"
    config.write_text(f'[gemini]\napi_key = "AIzaFAKE"\nbase_url = "{fake_gemini.base_url}"\n')
    ran = run_command("imagine", "--config", str(config), "--no-expand", "x")
    assert ran.code == ExitCode.MISSING_KEY and "No Hugging Face token" in ran.stderr


def test_an_unwritable_folder(tmp_path, fake_gemini, fake_hf):
    config = settings_file(tmp_path / "config.toml", fake_gemini.base_url, fake_hf.base_url)
    blocker = tmp_path / "a-file.txt"
    blocker.write_text("not a folder")
    ran = run_command("imagine", "--config", str(config), "--out", str(blocker / "pictures"), "x")
    assert ran.code == ExitCode.CANNOT_WRITE
    assert f"{blocker} is a file, not a folder" in ran.stderr
    assert ran.stdout == ""


def test_messages_in_the_language_asked_for(tmp_path, fake_gemini):
    config = settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url)
    fake_gemini.enqueue(gemini.Error.invalid_key())
    ran = run_command("ask", "--lang", "pt-BR", "--config", str(config), "oi", stdin="")
    assert ran.code == ExitCode.KEY_REJECTED
    assert ran.stderr == f"g2d-tui: {i18n.catalogue('pt-BR')['gemini.invalid_key']}\n"


def test_a_damaged_settings_file_is_reported_and_the_rest_used(tmp_path, fake_gemini):
    config = tmp_path / "config.toml"
    config.write_text(f'[gemini]\napi_key = "AIzaFAKE"\nbase_url = "{fake_gemini.base_url}"\ntemperature = "hot"\n')
    ran = run_command("ask", "--config", str(config), "hi", stdin="")
    assert ran.code == 0 and "You said" in ran.stdout
    assert ran.stderr.startswith("g2d-tui: ") and "temperature" in ran.stderr
