"""Cold start: spawn -> first painted frame, g2d-tui vs. a bare Textual app, in a real pseudo-terminal.

Each run spawns ``startup_runner.py`` on the slave side of a fresh 80x24 pty (TERM=xterm-256color),
so Textual's real Linux driver runs. The parent reads the master side until the runner's
``BENCH-PAINTED`` marker arrives (the runner writes it after the first frame, through the same
writer thread) and times spawn -> marker.

Terminal modes:

* ``silent``: the parent never answers terminal queries (like a terminal without those features
  or a slow link). The app's graphics probe then waits its whole 100 ms timeout.
* ``da1``: the parent answers DA1 (``ESC [ c``) like xterm without Sixel (``ESC [ ? 62 ; 22 c``),
  the common case: the probe ends with that answer.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from benchmarks.common import REPO_ROOT, child_environ, closed_port, median, write_keyed_settings

RUNNER = Path(__file__).with_name("startup_runner.py")
MARK = b"BENCH-PAINTED "
DA1_QUERY, DA1_ANSWER = b"\x1b[c", b"\x1b[?62;22c"


def _set_size(fd: int, rows: int = 24, cols: int = 80) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def run_once(kind: str, mode: str = "silent", timeout: float = 30.0) -> dict:
    """One cold start of ``kind`` (``hello`` or ``app``); returns the parent's and the runner's timings."""
    master, slave = pty.openpty()
    _set_size(slave)
    env = child_environ(TERM="xterm-256color", COLUMNS="80", LINES="24")
    env.pop("TEXTUAL_DRIVER", None)
    spawned = time.monotonic()
    env["BENCH_SPAWNED_AT"] = repr(spawned)
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER), kind],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO_ROOT, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    output, seen_at, answered = bytearray(), None, 0
    deadline = spawned + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
            if mode == "da1" and output.count(DA1_QUERY) > answered:
                os.write(master, DA1_ANSWER)
                answered += 1
            if MARK in output and output.find(b"\x07", output.find(MARK)) > 0:  # payload complete
                seen_at = time.monotonic()
                break
    finally:  # the measurement is over: no need to wait for the app's shutdown
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    if seen_at is None:
        tail = bytes(output[-2000:]).decode("utf-8", "replace")
        raise RuntimeError(f"{kind}: no paint marker within {timeout:.0f} s (exit {proc.returncode}); output tail:\n{tail}")
    start = output.find(MARK) + len(MARK)
    child = json.loads(output[start:output.find(b"\x07", start)].decode())
    screen_text = bytes(output[: output.find(MARK)]).decode("utf-8", "replace")
    return {"wall": seen_at - spawned, "child": child, "screen_text": screen_text}


def measure(repetitions: int, mode: str = "silent") -> dict:
    """Alternate hello/app ``repetitions`` times each; medians and the ratio.

    The ratio is the median of each pair's ratio (app / the hello run just before it): on a
    shared machine a slow spell spans a few runs, and a pair shares it, while the ratio of the
    two medians can take its app median from a slow spell and its hello median from a calm one.
    """
    dead = f"http://127.0.0.1:{closed_port()}"
    write_keyed_settings(dead, dead)
    run_once("hello", mode)  # warm the OS file cache and .pyc files, not counted
    run_once("app", mode)
    hello, app, runs = [], [], []
    for _ in range(repetitions):
        for kind, into in (("hello", hello), ("app", app)):
            result = run_once(kind, mode)
            into.append(result["wall"])
            runs.append({"kind": kind, "wall": result["wall"], **result["child"]})
            if kind == "app" and ("g2d-tui" not in result["screen_text"] or result["child"]["screen"] != "ChatScreen"):
                raise RuntimeError("the app's first frame is not the chat screen")
            if kind == "hello" and "Hello" not in result["screen_text"]:
                raise RuntimeError("the bare app's first frame does not show Hello")
    probes = [r.get("terminal probe", 0) for r in runs if r["kind"] == "app"]
    waits = [max(0.0, r["at probe done"] - r["at app built"]) for r in runs if "at probe done" in r]
    return {
        "mode": mode,
        "hello_median": median(hello),
        "app_median": median(app),
        "ratio": median([a / h for h, a in zip(hello, app)]),
        "ratio_of_medians": median(app) / median(hello),
        "terminal_probe_median": median(probes),
        "probe_wait_median": median(waits),
        "runs": runs,
    }
