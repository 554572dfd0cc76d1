"""Shared pieces of the benchmarks: isolation, the event-loop stall monitor, memory, rows."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HF_TOKEN", "GOOGLE_GEMINI_BASE_URL", "G2D_HF_BASE_URL")


def ensure_repo_on_path() -> None:
    """Make ``g2d_tui``, ``tests.fakes`` and ``benchmarks`` importable from a fresh clone."""
    root = str(REPO_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)


def isolate(base: Path) -> dict[str, str]:
    """Point every config/data/pictures location at ``base`` and drop real keys (in os.environ).

    Children inherit ``os.environ``, so this protects the subprocesses too.
    """
    home = base / "home"
    for sub in ("", ".config", ".local/share", "Pictures"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    for var in SECRET_VARS:
        os.environ.pop(var, None)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_PICTURES_DIR": str(home / "Pictures"),
        "G2D_TUI_CONFIG": str(home / ".config" / "g2d-tui" / "config.toml"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
    }
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "TEXTUAL", "TEXTUAL_LOG", "TEXTUAL_DEVTOOLS_HOST"):
        os.environ.pop(var, None)
    os.environ.update(env)
    return env


def child_environ(**extra: str) -> dict[str, str]:
    """The environment for a measured child process: ours, plus ``extra``, bytecode allowed.

    pip compiles installed packages (textual included) to bytecode; an editable install's own
    modules are compiled on first import, and a user's later launches load them. Where the
    environment disables writing it, every run compiled them again (some of them on the event
    loop, while it was timed): let the first, uncounted run write them, as a first launch does.
    """
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_keyed_settings(gemini_url: str, hf_url: str, save_dir: Path | None = None, auto_save: bool = True):
    """Save a settings file (at ``$G2D_TUI_CONFIG``) with fake keys pointing at ``gemini_url``/``hf_url``."""
    from g2d_tui.paths import config_path
    from g2d_tui.settings.store import SettingsStore
    from tests.ui.helpers import keyed_settings

    settings = keyed_settings(gemini_url, hf_url, save_dir)
    settings.images.auto_save = auto_save
    store = SettingsStore(config_path())
    store.save(settings)
    return store


class StallMonitor:
    """Sleeps ``interval`` seconds in a loop on the running event loop and records how late it wakes.

    Lateness beyond the interval is time the loop spent on something else without yielding:
    what the user feels as a frozen UI.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.max_late = 0.0
        self.worst_at = 0.0
        self.samples = 0
        self.over_50ms = 0
        self._task: asyncio.Task | None = None

    def reset(self) -> None:
        self.max_late, self.worst_at, self.samples, self.over_50ms = 0.0, 0.0, 0, 0

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            late = now - start - self.interval
            self.samples += 1
            if late > 0.050:
                self.over_50ms += 1
            if late > self.max_late:
                self.max_late, self.worst_at = late, now

    def start(self) -> StallMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="stall-monitor")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


def memory() -> dict[str, float]:
    """Current and peak RSS of this process in MB (``/proc/self/status`` and ``getrusage``)."""
    result: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                result[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    result["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Row:
    """One line of the results table."""

    metric: str
    value: str
    target: str = ""
    passed: bool | None = None
    """None: informational, no target."""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "MISS")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
