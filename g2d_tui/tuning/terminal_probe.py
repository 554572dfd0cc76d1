"""Ask the terminal, once and before Textual starts, which image protocol it speaks and its cell size.

textual-image asks on import, one question at a time, each with its own 100 ms timeout: Sixel
(DA1), then the Kitty graphics protocol, then the cell size. A terminal that stays silent costs
0.3 s. Here every question goes out at once with DA1 last: terminals answer in order and all
of them answer DA1, so its answer means no other answer is coming (the method the Kitty
graphics protocol documentation recommends). One round trip, or one timeout, in all.

The probe needs only the standard library, so it runs in a thread while the app imports.
:func:`install` then hands the answers to textual-image and stops it from asking again: once
Textual runs, its input thread would swallow the answers.
"""

from __future__ import annotations

import os
import re
import select
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TIMEOUT = 0.1
"""Seconds to wait for the DA1 answer; textual-image waits as long for each of its questions."""

KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
CELL_SIZE_QUERY = b"\x1b[16t"
DA1_QUERY = b"\x1b[c"

DA1_ANSWER = re.compile(rb"\x1b\[\?([0-9;]*)c")
KITTY_ANSWER = re.compile(rb"\x1b_Gi=31;([^\x1b]*)\x1b\\")
CELL_SIZE_ANSWER = re.compile(rb"\x1b\[6;(\d+);(\d+)t")

DEFAULT_CELL = (10, 20)
"""A VT340's cell in pixels: textual-image's own fallback."""


@dataclass(frozen=True)
class TerminalGraphics:
    protocol: str
    """``sixel``, ``tgp`` (Kitty graphics) or ``halfcell``; the same preference as textual-image."""
    cell_width: int
    cell_height: int


_detected: TerminalGraphics | None = None
_installed = False


def detected() -> TerminalGraphics | None:
    """What :func:`install` recorded; None when no terminal was probed (pipes, tests)."""
    return _detected


def read_answers(answers: bytes) -> tuple[TerminalGraphics, bool]:
    """The graphics the answers show, and whether the DA1 answer (the last one) has arrived."""
    da1 = DA1_ANSWER.search(answers)
    kitty = KITTY_ANSWER.search(answers)
    cell = CELL_SIZE_ANSWER.search(answers)
    if da1 is not None and "4" in da1.group(1).decode().split(";"):
        protocol = "sixel"  # textual-image prefers Sixel: Konsole and WezTerm claim Kitty's but draw Sixel right
    elif kitty is not None and kitty.group(1).endswith(b"OK"):
        protocol = "tgp"
    else:
        protocol = "halfcell"
    height, width = (int(cell.group(1)), int(cell.group(2))) if cell else (0, 0)
    if not (width and height):
        width, height = DEFAULT_CELL
    return TerminalGraphics(protocol, width, height), da1 is not None


def _window_cell_size(fd: int) -> tuple[int, int] | None:
    """Cell size from the kernel's window size, when the terminal fills in the pixel fields."""
    import fcntl
    import struct
    import termios

    try:
        rows, columns, width, height = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    if not (rows and columns and width and height):
        return None
    return width // columns, height // rows


def probe(stdin_fd: int, stdout_fd: int, timeout: float = TIMEOUT) -> TerminalGraphics:
    """Ask the terminal on ``stdout_fd`` and read its answers from ``stdin_fd`` (both a tty)."""
    import termios
    import tty

    cell = _window_cell_size(stdout_fd)
    questions = KITTY_QUERY + (b"" if cell else CELL_SIZE_QUERY) + DA1_QUERY
    saved = termios.tcgetattr(stdin_fd)
    answers = b""
    try:
        tty.setcbreak(stdin_fd, termios.TCSANOW)  # answers must not echo, nor wait for a newline
        os.write(stdout_fd, questions)
        deadline = time.monotonic() + timeout
        while True:
            graphics, complete = read_answers(answers)
            left = deadline - time.monotonic()
            if complete or left <= 0 or not select.select([stdin_fd], [], [], left)[0]:
                break
            chunk = os.read(stdin_fd, 1024)
            if not chunk:
                break
            answers += chunk
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSANOW, saved)
    if cell:
        graphics = TerminalGraphics(graphics.protocol, *cell)
    return graphics


def probe_stdio() -> TerminalGraphics | None:
    """:func:`probe` on this process's terminal; None when stdin or stdout is not one."""
    try:
        stdin, stdout = sys.__stdin__.fileno(), sys.__stdout__.fileno()
        if not (os.isatty(stdin) and os.isatty(stdout)):
            return None
        return probe(stdin, stdout)
    except Exception:  # best effort (closed or replaced streams, no termios on Windows): no answers
        return None


def probe_in_background() -> Callable[..., TerminalGraphics | None]:
    """Start :func:`probe_stdio` in a thread; call the result to wait for the answers."""
    answers: list[TerminalGraphics | None] = []
    thread = threading.Thread(target=lambda: answers.append(probe_stdio()), name="graphics-probe", daemon=True)
    thread.start()

    def result(timeout: float) -> TerminalGraphics | None:
        thread.join(timeout)
        return answers[0] if answers else None

    return result


def install(graphics: TerminalGraphics | None) -> None:
    """Record ``graphics`` and stop textual-image from querying the terminal (it would race Textual).

    Must run before anything imports ``textual_image.renderable``: its import asks the terminal.
    """
    global _detected, _installed
    _detected, _installed = graphics, True
    from textual_image import _terminal

    from g2d_tui import hooks

    hooks.fill("terminal_graphics", graphics)

    if graphics is not None:
        _terminal.get_cell_size._result = _terminal.CellSize(graphics.cell_width, graphics.cell_height)

    def refuse(*args, **kwargs):
        raise _terminal.TerminalError("g2d-tui asked the terminal before Textual started")

    _terminal.capture_terminal_response = refuse


_waiting: Callable[..., TerminalGraphics | None] | None = None


def install_piece():
    """The terminal-probe piece: asks now, in a thread; :func:`finish` hands the answers over."""
    global _waiting
    if _installed or _waiting is not None:
        return None
    _waiting = probe_in_background()

    def undo() -> None:
        global _waiting, _detected
        _waiting, _detected = None, None

    return undo


def finish() -> bool:
    """Wait for the probe started by :func:`install_piece` and install its answers; False when
    no probe ran (tuning off), and textual-image must ask the terminal itself."""
    global _waiting
    if _installed:
        return True
    if _waiting is None:
        return False
    waiting, _waiting = _waiting, None
    install(waiting(timeout=3))
    return True
