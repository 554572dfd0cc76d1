"""The subcommands as separate processes: what they import, a real terminal, Ctrl+C, dispatch."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from g2d_tui import __version__
from g2d_tui.cli import split_subcommand
from tests.cli.helpers import settings_file
from tests.fakes.gemini_server import Hang

ROOT = Path(__file__).resolve().parents[2]


def imported(stderr: str) -> set[str]:
    """Module names from ``-X importtime`` lines."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:") and "|" in line}


def g2d(*argv: str, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "g2d_tui", *argv], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL, **options)


def is_textual(name: str) -> bool:
    return name == "textual" or name.startswith("textual.")


def test_ask_never_imports_textual(tmp_path, fake_gemini):
    config = settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url)
    result = g2d("ask", "--config", str(config), "hi")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "You said: **hi**" in result.stdout
    modules = imported(result.stderr)
    assert "google.genai" in modules  # the check sees what the command imported
    assert not any(is_textual(name) for name in modules)
    # Installed with the web extra, never used by the SDK client: its import is refused
    # (-X importtime still lists that attempt, but none of its modules).
    assert not any(name.startswith("aiohttp.") for name in modules)


def test_imagine_never_imports_textual(tmp_path, fake_gemini, fake_hf):
    config = settings_file(tmp_path / "config.toml", fake_gemini.base_url, fake_hf.base_url, tmp_path / "saved")
    result = g2d("imagine", "--config", str(config), "a", "fox")
    assert result.returncode == 0, result.stderr[-2000:]
    assert Path(result.stdout.strip()).is_file()
    modules = imported(result.stderr)
    assert "httpx" in modules and "PIL.PngImagePlugin" in modules
    assert not any(is_textual(name) for name in modules)


def test_version_reads_no_settings():
    result = g2d("--version")
    assert result.returncode == 0 and result.stdout == f"g2d-tui {__version__}\n"
    modules = imported(result.stderr)
    assert "g2d_tui.cli" in modules  # answered by the dispatcher
    assert not {"argparse", "g2d_tui.settings.store", "g2d_tui.cli.runner"} & modules


def test_a_real_terminal_gets_rendered_markdown(tmp_path, fake_gemini):
    config = settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "g2d_tui", "ask", "--config", str(config), "hi"], cwd=ROOT,
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = output.decode()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "\x1b[" in text and "## Echo" not in plain and "Echo (turn 1)" in plain
    assert "print('hi')" in plain


@contextmanager
def ctrl_c_not_ignored():
    """Children started meanwhile get SIGINT's default action even when this process ignores
    it: a shell without job control starts its background commands (``pytest … &``) with
    SIGINT ignored, children inherit that, and a Python started so never sees Ctrl+C."""
    if signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: reset to the default by exec
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_exits_130_without_a_traceback(tmp_path, fake_gemini):
    config = settings_file(tmp_path / "config.toml", gemini_url=fake_gemini.base_url)
    fake_gemini.enqueue(Hang(60))
    with ctrl_c_not_ignored():
        process = subprocess.Popen([sys.executable, "-m", "g2d_tui", "ask", "--config", str(config), "hi"], cwd=ROOT,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not fake_gemini.requests_to("stream"):  # the request is out: it is waiting
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert out == "" and err == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ask", "hi"], ("ask", ["hi"])),
        (["--lang", "pt-BR", "imagine", "x"], ("imagine", ["--lang", "pt-BR", "x"])),
        (["--config=c.toml", "--lang", "en", "serve", "--port", "9"], ("serve", ["--config=c.toml", "--lang", "en", "--port", "9"])),
        (["--lang", "en"], None),
        (["--config", "ask"], None),  # a settings file called "ask"
        (["hello"], None),
        ([], None),
    ],
)
def test_which_command_lines_name_a_subcommand(argv, expected):
    assert split_subcommand(argv) == expected


def test_global_options_before_the_subcommand_apply():
    result = subprocess.run([sys.executable, "-m", "g2d_tui", "--lang", "pt-BR", "imagine", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0
    assert result.stdout.startswith("uso: g2d-tui imagine") and "códigos de saída:" in result.stdout


@pytest.mark.parametrize("module", sorted(path.name for path in (ROOT / "g2d_tui" / "cli").glob("*.py")))
def test_no_subcommand_module_imports_textual(module):
    import ast

    tree = ast.parse((ROOT / "g2d_tui" / "cli" / module).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(is_textual(name) for name in names)
