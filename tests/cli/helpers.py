"""Run a subcommand in-process with its own streams, as a script would see it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from g2d_tui.cli.runner import Streams, run
from g2d_tui.settings.store import SettingsStore
from tests.settings_helpers import keyed_settings


class TerminalText(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def run_command(name: str, *argv: str, stdin: str | None = None, stdout_terminal: bool = False, stderr_terminal: bool = False) -> Ran:
    """``g2d-tui NAME ARGV`` with ``stdin`` piped in (None: stdin is a terminal)."""
    streams = Streams(
        stdin=TerminalText() if stdin is None else io.StringIO(stdin),
        stdout=TerminalText() if stdout_terminal else io.StringIO(),
        stderr=TerminalText() if stderr_terminal else io.StringIO(),
    )
    code = run(name, list(argv), streams)
    return Ran(code, streams.stdout.getvalue(), streams.stderr.getvalue())


def settings_file(path: Path, gemini_url: str = "", hf_url: str = "", save_dir: Path | None = None, **images: object) -> Path:
    """A settings file with fake keys pointing at the loopback fakes; ``images`` sets image settings."""
    settings = keyed_settings(gemini_url, hf_url, save_dir)
    for name, value in images.items():
        setattr(settings.images, name, value)
    SettingsStore(path).save(settings)
    return path
