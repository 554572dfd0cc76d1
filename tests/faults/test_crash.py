"""A crash shows no key, leaves a private report and exits non-zero: the real entry point, in a pty.

Each test starts ``python -c <script>`` on a pseudo-terminal: the script breaks one thing
on purpose (a handler or worker that raises, or the settings load), with keys in the
environment and in the settings file, then calls ``g2d_tui.__main__.main``. Keys appear
both in the exception's message and in local variables (which Textual's own crash
screen used to print).
"""

from __future__ import annotations

import os
import pty
import select
import stat
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import fcntl
import pytest

REPO = Path(__file__).resolve().parents[2]
ENV_KEY = "AIza" + "ENVSECRETgeminiKEY1234567890abcdefgh"  # fake; split so secret scanners skip it
FILE_KEY = "AIza" + "FILESECRETgeminiKEY0987654321zyxwvu"
FILE_TOKEN = "hf_" + "FILESECRETtokenABCDEFGHIJKLMNOPQRSTU"
MARKERS = (ENV_KEY, FILE_KEY, FILE_TOKEN, "SECRET", ENV_KEY[10:26], FILE_TOKEN[10:26])

CRASH_IN_MOUNT = """
from g2d_tui.app import G2DApp

def on_mount(self):
    gemini_key = self.effective.gemini_api_key  # a local holding the key
    file_key, token = self.settings.gemini.api_key, self.settings.images.huggingface.api_key
    raise RuntimeError(f"forced crash: {gemini_key} {file_key} {token}")

G2DApp.on_mount = on_mount
"""

CRASH_IN_WORKER = """
from g2d_tui.app import G2DApp
original = G2DApp.on_mount

def on_mount(self):
    original(self)
    settings = self.settings

    async def explode():
        token = settings.images.huggingface.api_key
        raise ValueError("worker saw " + token + " and " + self.effective.gemini_api_key)

    self.run_worker(explode(), exit_on_error=True)

G2DApp.on_mount = on_mount
"""

CRASH_BEFORE_APP = """
import os
from g2d_tui.settings.store import SettingsStore

def load(self):
    key = os.environ["GEMINI_API_KEY"]
    raise KeyError("settings exploded near " + key)

SettingsStore.load = load
"""


def _run_on_pty(script: str, env: dict[str, str], timeout: float = 90.0) -> tuple[int, str, str]:
    """Run ``script`` then ``main([])`` with stdin/stdout on a 100x30 pty; (exit code, screen bytes, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    code = textwrap.dedent(script) + "\nfrom g2d_tui.__main__ import main\nmain([])\n"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env, cwd=REPO,
        start_new_session=True,
    )
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return process.returncode, screen.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")


@pytest.fixture
def crash_env(isolated_home: Path) -> dict[str, str]:
    """The child's environment: keys in the environment and in its settings file, private folders."""
    config = Path(os.environ["G2D_TUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[gemini]\napi_key = "{FILE_KEY}"\n\n[images]\napi_key = "{FILE_TOKEN}"\n', encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update(
        GEMINI_API_KEY=ENV_KEY,
        XDG_STATE_HOME=str(isolated_home / ".local" / "state"),
        TERM="xterm-256color",
        G2D_TUI_IMAGE_RENDERER="halfcell",
        PYTHONPATH=str(REPO),
    )
    env.pop("TEXTUAL", None)
    return env


def _reports(home: Path) -> list[Path]:
    return sorted((home / ".local" / "state").rglob("crash-*.txt"))


def _leaks(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


@pytest.mark.parametrize(("script", "error"), [(CRASH_IN_MOUNT, "RuntimeError"), (CRASH_IN_WORKER, "ValueError")], ids=["handler", "worker"])
def test_a_crash_in_the_app_shows_no_key_writes_a_private_report_and_exits_non_zero(crash_env, isolated_home, script, error):
    code, screen, stderr = _run_on_pty(script, crash_env)
    assert code != 0, stderr
    assert error in stderr  # the crash screen (Textual prints it to stderr once the terminal is back)
    assert "••••" in stderr  # the keys were there, masked
    assert not _leaks(stderr), stderr
    assert not _leaks(screen)
    reports = _reports(isolated_home)
    assert len(reports) == 1
    report = reports[0]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert error in text and "g2d-tui 0.1.0" in text and "textual" in text
    assert not _leaks(text), text
    assert "gemini_key = " not in text and "token = '" not in text  # no locals
    assert report.name in stderr  # the short message after exit says where it is


def test_a_crash_before_the_app_runs_is_handled_the_same_way(crash_env, isolated_home):
    code, screen, stderr = _run_on_pty(CRASH_BEFORE_APP, crash_env)
    assert code == 1
    assert "KeyError" in stderr and "settings exploded near ••••" in stderr
    assert not _leaks(stderr + screen)
    [report] = _reports(isolated_home)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert not _leaks(report.read_text(encoding="utf-8"))
    assert report.name in stderr
