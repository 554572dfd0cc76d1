"""The installed entry point on a pseudo-terminal, against hostile servers: the raw stream
the terminal receives holds Textual's drawing and nothing the servers sent.

The fakes run in this process (loopback); the app runs as ``g2d-tui`` in a child on a
100x40 pty. The test types a message, an /imagine, ctrl+y, a message that fails, opens
the chat model picker, and quits; at each step it waits for the hostile text to show up
as visible stand-ins (``␛``) before going on. Then it reads every byte the app wrote.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import fcntl
import pytest

from tests.fakes import hostile as H
from tests.faults.terminal_checks import clipboard_writes, terminal_problems, visible_text

REPO = Path(__file__).resolve().parents[2]
ROWS, COLUMNS = 40, 100
F3, ESCAPE, CTRL_Y, CTRL_Q = b"\x1bOR", b"\x1b", b"\x19", b"\x11"
ATTACKS = {
    "OSC 52 clipboard write": "\x1b]52;c;ZWNobyBwd25lZA==",
    "OSC 0 title": "\x1b]0;pwned",
    "screen and scrollback clear": H.CLEAR,
    "C1 CSI": H.C1_CSI,
    "BEL backspaces": H.BELL_BACKSPACE,
}
"""The sequences the fakes send, as they would look if they reached the terminal."""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def _entry_point() -> list[str]:
    """The installed ``g2d-tui`` script (next to this interpreter), else ``python -m g2d_tui``."""
    script = Path(sys.executable).with_name("g2d-tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("g2d-tui")
    return [found] if found else [sys.executable, "-m", "g2d_tui"]


class Terminal:
    """A child process on a pty; everything it writes is kept in ``output``."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        # Textual draws on stderr: all three are the terminal, as in a real session.
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True)
        os.close(slave)
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True, name="pty-reader")
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self._master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                with self._lock:
                    self._output += chunk
            elif self.process.poll() is not None:
                return

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def text(self) -> str:
        """The visible text written so far (escape sequences left out)."""
        return visible_text(self.output.decode("utf-8", "replace"))

    def type(self, data: bytes) -> None:
        os.write(self._master, data)

    def wait_for(self, what: str, predicate: Callable[[], bool], seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        if predicate():
            return
        raise AssertionError(f"waited in vain for {what}; exit code {self.process.poll()}\nthe screen:\n{self.screen()}")

    def screen(self) -> str:
        """What the terminal shows now (a small emulator reads the stream)."""
        from tests.web.terminal_screen import TerminalScreen

        emulator = TerminalScreen()
        emulator.feed(self.output)
        return emulator.text()

    def close(self) -> int | None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        finally:
            self._reader.join(timeout=5)
            os.close(self._master)
        return self.process.returncode


@pytest.fixture
def hostile_env(fake_gemini, fake_hf, isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    fake_gemini.set_hostile("text", "prompt", "models")
    folder = isolated_home / "p [/x] [b]b"  # under the home folder: shown as ~/p [/x] [b]b
    config = Path(os.environ["G2D_TUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[images]\n"
        f"save_dir = {str(folder)!r}\n"
        "width = 128\nheight = 96\n"
        'negative_prompt = "lowres [/x]"\n'
        "[images.huggingface]\n"
        'provider = "hf-inference"\n',
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "COV_"))}
    env.update(
        GEMINI_API_KEY="AIzaFAKE-pty-key-0000",
        HF_TOKEN="hf_FAKE_pty_token_0000",
        GOOGLE_GEMINI_BASE_URL=fake_gemini.base_url,
        G2D_HF_BASE_URL=fake_hf.base_url,
        G2D_HF_HUB_URL=fake_hf.base_url,
        TERM="xterm-256color",
        COLORTERM="truecolor",
        G2D_TUI_IMAGE_RENDERER="halfcell",
        PYTHONPATH=str(REPO),
    )
    for name in ("TEXTUAL", "NO_COLOR", "COLUMNS", "LINES"):  # COLUMNS/LINES would win over the pty's size
        env.pop(name, None)
    return env


def test_hostile_servers_reach_the_terminal_only_as_visible_text(fake_gemini, fake_hf, hostile_env):
    terminal = Terminal(_entry_point(), hostile_env)
    try:
        terminal.wait_for("the chat model list", lambda: fake_gemini.requests_to("models") and "g2d-tui" in terminal.text())

        terminal.type(b"hello\r")
        terminal.wait_for("the hostile reply, finished", lambda: "pwned title" in terminal.text() and "return" in terminal.text())
        assert "␛]0;pwned title" in terminal.text()  # shown, not obeyed

        terminal.type(b"/imagine a castle\r")
        terminal.wait_for("the hostile /imagine prompt and its picture", lambda: (
            fake_hf.generations and "a castle pwn" in terminal.text() and "▀" in terminal.text() and "Saved to" in terminal.text()
        ))
        assert "blurry ␛]52;c;" in terminal.text()  # the negative prompt Gemini wrote
        assert "~/p [/x] [b]b/" in terminal.text()  # the folder's name, literally

        terminal.type(CTRL_Y)
        terminal.wait_for("the app's own clipboard write", lambda: b"\x1b]52;c;" in terminal.output)
        [copied] = clipboard_writes(terminal.output)
        assert "Title ␛]0;pwned title␇" in copied
        assert not H.contains_raw_control(copied), repr(copied)

        fake_gemini.error_status = 400  # a status whose message the app shows (its body's text)
        fake_gemini.set_hostile("errors")
        terminal.type(b"again\r")
        terminal.wait_for("the hostile error body", lambda: "refused the request: Failure" in terminal.text())

        terminal.type(F3)
        terminal.wait_for("the hostile model names in the picker", lambda: "gemini-evil-␛]52" in terminal.text() and "gemini-[/x]" in terminal.text())
        terminal.wait_for("the picker on screen", lambda: "gemini-evil" in terminal.screen())
        terminal.type(ESCAPE)
        # A lone ESC is told from a sequence by a pause (Textual's escape delay); read together
        # with the next key by a slow app, it would make one. So the next key waits for its effect.
        terminal.wait_for("the picker closed", lambda: "gemini-evil" not in terminal.screen())
        terminal.type(CTRL_Q)
        terminal.wait_for("the app to quit", lambda: terminal.process.poll() is not None, seconds=30)
        assert terminal.process.returncode == 0
    finally:
        terminal.close()

    output = terminal.output
    assert terminal_problems(output, clipboard=True) == []
    text = output.decode("utf-8", "replace")
    reached = [name for name, sequence in ATTACKS.items() if sequence in text]
    assert reached == []
    assert "\x9b" not in text and "\x9d" not in text  # decoded: the bytes of "␛" (e2 90 9b) are no C1
