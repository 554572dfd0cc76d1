"""``g2d-tui ask`` against the loopback Gemini fake: output, piped context, --json, settings."""

from __future__ import annotations

import json
import re

import pytest

from g2d_tui.cli.ask import compose
from tests.cli.helpers import run_command, settings_file
from tests.fakes.gemini_server import Reply


@pytest.fixture
def config(tmp_path, fake_gemini):
    return str(settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url))


def test_piped_stdout_gets_the_markdown_as_it_came(config, fake_gemini):
    fake_gemini.enqueue(Reply(["# Title\n\n", "Some **bold** ", "text."]))
    ran = run_command("ask", "--config", config, "what", "is", "this?", stdin="")
    assert ran.code == 0
    assert ran.stdout == "# Title\n\nSome **bold** text.\n"  # a final newline, nothing else added
    assert ran.stderr == ""
    assert fake_gemini.requests_to("stream")[-1].turns == [("user", "what is this?")]


def test_a_terminal_gets_rendered_markdown(config, fake_gemini):
    fake_gemini.enqueue(Reply(["# Title\n\n", "Some **bold** ", "text.\n\n- one\n- two\n"]))
    ran = run_command("ask", "--config", config, "hi", stdin="", stdout_terminal=True)
    assert ran.code == 0
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", ran.stdout)
    assert "\x1b[" in ran.stdout  # styled
    assert "# Title" not in plain and "**bold**" not in plain  # rendered, not the source
    assert "Title" in plain and "Some bold text." in plain and "• one" in plain


def test_piped_stdin_is_sent_after_the_question(config, fake_gemini):
    diff = "--- a/x.py\n+++ b/x.py\n@@\n-print(1)\n+print(2)\n"
    ran = run_command("ask", "--config", config, "review", "this", stdin=diff)
    assert ran.code == 0
    sent = fake_gemini.requests_to("stream")[-1].turns[-1][1]
    assert sent == "review this\n\n```\n" + diff.rstrip("\n") + "\n```"


def test_piped_stdin_alone_is_the_question(config, fake_gemini):
    run_command("ask", "--config", config, stdin="What is 2 + 2?\n")
    assert fake_gemini.requests_to("stream")[-1].turns[-1] == ("user", "What is 2 + 2?")


def test_nothing_to_ask_is_a_usage_error(config, fake_gemini):
    ran = run_command("ask", "--config", config)  # stdin is a terminal, no question
    assert ran.code == 2
    assert "nothing to ask" in ran.stderr and ran.stderr.startswith("usage: g2d-tui ask")
    assert fake_gemini.requests == []


def test_a_fence_inside_the_piped_text_cannot_close_the_block():
    text = "```python\nprint(1)\n```"
    assert compose("explain", text) == f"explain\n\n````\n{text}\n````"


def test_json_is_one_object_with_usage(config, fake_gemini):
    fake_gemini.enqueue(Reply(["Four", "."], finish_reason="MAX_TOKENS"))
    ran = run_command("ask", "--config", config, "--json", "--model", "gemini-2.5-pro", "2+2?", stdin="")
    assert ran.code == 0
    assert ran.stdout.count("\n") == 1
    assert json.loads(ran.stdout) == {
        "reply": "Four.",
        "model": "gemini-2.5-pro",
        "finish_reason": "MAX_TOKENS",
        "tokens": {"prompt": 5, "reply": 3, "thoughts": None, "total": 8},
    }
    assert fake_gemini.requests_to("stream")[-1].path.endswith("/models/gemini-2.5-pro:streamGenerateContent")


def test_a_cut_reply_says_why_on_stderr(config, fake_gemini):
    fake_gemini.enqueue(Reply(["Half an ans"], finish_reason="MAX_TOKENS"))
    ran = run_command("ask", "--config", config, "long story", stdin="")
    assert ran.code == 0
    assert ran.stdout == "Half an ans\n"
    assert "output token limit" in ran.stderr


def test_control_characters_from_the_reply_never_reach_the_terminal(config, fake_gemini):
    fake_gemini.enqueue(Reply(["safe \x1b]52;c;ZXZpbA==\x07 text\r", "\nnext"]))
    ran = run_command("ask", "--config", config, "hi", stdin="")
    assert "\x1b" not in ran.stdout and "\x07" not in ran.stdout
    assert ran.stdout == "safe ␛]52;c;ZXZpbA==␇ text\nnext\n"  # \r\n across two chunks: one line break


def test_control_characters_from_the_reply_never_reach_json_or_a_terminal(config, fake_gemini):
    fake_gemini.enqueue(Reply(["safe \x1b]52;c;ZXZpbA==\x07 text\r", "\nnext"]))
    ran = run_command("ask", "--config", config, "--json", "hi", stdin="")
    assert json.loads(ran.stdout)["reply"] == "safe ␛]52;c;ZXZpbA==␇ text\nnext"
    fake_gemini.enqueue(Reply(["safe \x1b]52;c;ZXZpbA==\x07 text\r", "\nnext"]))
    ran = run_command("ask", "--config", config, "hi", stdin="", stdout_terminal=True)
    assert ran.code == 0
    assert "\x1b]" not in ran.stdout and "\x07" not in ran.stdout and "\r" not in ran.stdout
    assert "␛]52;c;ZXZpbA==␇" in ran.stdout


def test_keys_and_endpoint_from_the_environment(monkeypatch, fake_gemini):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-from-env")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    ran = run_command("ask", "hello", stdin="")
    assert ran.code == 0 and "You said: **hello**" in ran.stdout
    assert fake_gemini.requests_to("stream")[-1].headers["x-goog-api-key"] == "AIza-from-env"


def test_the_settings_language_applies_to_messages(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguage = "pt-BR"\n')
    ran = run_command("ask", "--config", str(config), "oi", stdin="")
    assert ran.code == 3
    assert ran.stderr.startswith("g2d-tui: Ainda não há chave de API do Gemini.")


def test_a_key_going_over_plain_http_to_another_machine_is_warned_about_first(tmp_path):
    """A script cannot be asked; its user is told on stderr (before the request, which this
    test does not make: the host is not loopback)."""
    import io

    from g2d_tui.cli.runner import Context, Streams, warn_about_plain_http
    from g2d_tui.settings.model import Environment
    from g2d_tui.settings.store import SettingsStore

    config = settings_file(tmp_path / "config.toml", gemini_url="http://gemini.example.invalid:9")
    settings = SettingsStore(config).load().settings
    stderr = io.StringIO()
    context = Context(settings, Environment.from_environ({}), Streams(io.StringIO(), io.StringIO(), stderr), str(config))
    warn_about_plain_http(context, settings, chat=True, images=True)
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 1  # the Gemini key; the Hugging Face one goes to the loopback fake
    assert "your Gemini API key goes unencrypted (plain http) to http://gemini.example.invalid:9" in lines[0]


def test_no_warning_for_https_or_this_machine(config, fake_gemini):
    fake_gemini.enqueue(Reply(["fine"]))
    ran = run_command("ask", "--config", config, "hi", stdin="")
    assert ran.code == 0 and "unencrypted" not in ran.stderr
