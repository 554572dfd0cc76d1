"""The start-up graphics probe, against a real pseudo-terminal whose other end plays the terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from g2d_tui.tuning import terminal_probe
from g2d_tui.tuning.terminal_probe import CELL_SIZE_QUERY, DA1_QUERY, KITTY_QUERY, TerminalGraphics, probe, read_answers


def _pty(pixels: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, *pixels))
    return master, slave


class FakeTerminal(threading.Thread):
    """Reads the questions from the pty's master side; answers once DA1 arrives (or never)."""

    def __init__(self, master: int, answer: bytes | None) -> None:
        super().__init__(daemon=True)
        self.master, self.answer, self.asked = master, answer, b""

    def run(self) -> None:
        deadline = time.monotonic() + 5
        while DA1_QUERY not in self.asked and time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.1)[0]:
                self.asked += os.read(self.master, 1024)
        if self.answer is not None:
            os.write(self.master, self.answer)


CEILING = 60.0
"""Seconds a probe gets to end: a probe ended by the answer takes milliseconds, one left to
its timeout (an hour, where a test sets that) takes far longer."""


def _probe_with(answer: bytes | None, pixels=(0, 0), timeout: float = 5.0) -> tuple[TerminalGraphics, bytes, float]:
    master, slave = _pty(pixels)
    terminal = FakeTerminal(master, answer)
    terminal.start()
    results: list[TerminalGraphics] = []
    try:
        started = time.monotonic()
        asking = threading.Thread(target=lambda: results.append(probe(slave, slave, timeout=timeout)), daemon=True)
        asking.start()
        asking.join(CEILING)
        elapsed = time.monotonic() - started
        assert results, f"the probe did not end within {CEILING:g} s (its timeout: {timeout:g} s)"
        terminal.join(5)
    finally:
        os.close(slave)
        os.close(master)
    return results[0], terminal.asked, elapsed


def test_all_questions_go_out_at_once_and_the_da1_answer_ends_the_wait():
    answer = b"\x1b_Gi=31;OK\x1b\\" + b"\x1b[6;18;9t" + b"\x1b[?62;22c"
    graphics, asked, _ = _probe_with(answer, timeout=3600)  # ended by DA1, which comes last, or never
    assert asked == KITTY_QUERY + CELL_SIZE_QUERY + DA1_QUERY
    assert graphics == TerminalGraphics("tgp", 9, 18)


def test_sixel_wins_over_kitty_like_textual_image():
    answer = b"\x1b_Gi=31;OK\x1b\\" + b"\x1b[6;20;10t" + b"\x1b[?62;4;22c"
    graphics, _, _ = _probe_with(answer)
    assert graphics.protocol == "sixel"


def test_a_terminal_without_graphics_gets_half_cells():
    answer = b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\" + b"\x1b[?1;2c"
    graphics, _, _ = _probe_with(answer)
    assert graphics == TerminalGraphics("halfcell", *terminal_probe.DEFAULT_CELL)


def test_a_silent_terminal_costs_one_timeout_and_falls_back():
    graphics, asked, elapsed = _probe_with(None, timeout=0.2)
    assert DA1_QUERY in asked
    assert graphics == TerminalGraphics("halfcell", *terminal_probe.DEFAULT_CELL)
    assert elapsed >= 0.15  # it waited for the answer (a lower bound: a busy machine only adds)


def test_the_kernel_window_size_gives_the_cell_without_asking():
    graphics, asked, _ = _probe_with(b"\x1b[?62;22c", pixels=(800, 480))  # 80x24 cells
    assert CELL_SIZE_QUERY not in asked
    assert (graphics.cell_width, graphics.cell_height) == (10, 20)


def test_keys_typed_during_the_probe_do_not_confuse_it():
    graphics, _ = read_answers(b"ab\x1b_Gi=31;OK\x1b\\x\x1b[?62;22c")
    assert graphics.protocol == "tgp"
    assert read_answers(b"\x1b[?62;22")[1] is False  # DA1 not complete yet: keep reading


def test_no_terminal_means_no_probe(monkeypatch):
    read, write = os.pipe()
    try:
        monkeypatch.setattr(sys, "__stdin__", os.fdopen(read, closefd=False))
        assert terminal_probe.probe_stdio() is None
    finally:
        os.close(read)
        os.close(write)


INSTALLED_CHILD = """
from g2d_tui.tuning import terminal_probe
terminal_probe.install(terminal_probe.TerminalGraphics("sixel", 7, 15))
import textual_image.renderable as renderable
from textual_image._terminal import get_cell_size
from g2d_tui.widgets.image_card import renderer_name
print("RESULT", renderable.Image.__module__, tuple(get_cell_size()), renderer_name(), flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminal")
def test_after_install_textual_image_never_queries_the_terminal():
    """Its import-time queries would race Textual's input thread; it must take our answers."""
    master, slave = _pty()
    env = {key: value for key, value in os.environ.items() if key != "G2D_TUI_IMAGE_RENDERER"}
    child = subprocess.Popen([sys.executable, "-c", INSTALLED_CHILD], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while b"\n" not in output.partition(b"RESULT")[2] and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    output += os.read(master, 4096)
                except OSError:
                    break
        child.wait(30)
    finally:
        os.close(master)
    assert child.returncode == 0, output.decode(errors="replace")
    assert b"\x1b" not in output  # no DA1, Kitty or cell-size question was written
    assert b"RESULT textual_image.renderable.halfcell (7, 15) sixel" in output
