"""What the subcommands write: replies (plain or rendered Markdown), progress, errors, JSON.

stdout carries only the result, so pipes and ``$(…)`` get exactly that; everything else
goes to stderr, and progress only when stderr is a terminal (no noise in logs).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol, TextIO

PROGRAM = "g2d-tui"


def is_terminal(stream: Any) -> bool:
    """True when ``stream`` is an interactive terminal (False for pipes, files, closed streams)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def report(stderr: TextIO, message: str) -> None:
    """One line on stderr: ``g2d-tui: <message>``."""
    try:
        stderr.write(f"{PROGRAM}: {message}\n")
        stderr.flush()
    except (OSError, ValueError):  # stderr closed: nowhere left to tell
        pass


def write_json(stdout: TextIO, value: Any) -> None:
    """``value`` as one line of JSON (non-ASCII kept readable)."""
    stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    stdout.flush()


class ReplyWriter(Protocol):
    """Writes a reply's fragments as they stream in.

    The fragments come from ``GeminiChat.stream``, which has already cleaned them of
    control characters (``services/gemini/stream.py``), so they are written as they are.
    """

    def write(self, fragment: str) -> None: ...

    def close(self) -> None: ...


class PlainReply:
    """The reply as it comes, Markdown source and all: for pipes and files."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = ""

    def write(self, fragment: str) -> None:
        if fragment:
            self.stream.write(fragment)
            self.stream.flush()
            self._last = fragment[-1]

    def close(self) -> None:
        if self._last and self._last != "\n":
            self.stream.write("\n")  # a shell prompt must not follow on the reply's last line
        self.stream.flush()


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


class MarkdownBlocks:
    """Splits a growing Markdown text into finished top-level blocks and the growing rest.

    A block is finished when a blank line follows it and the next line has begun at the
    left margin, outside a fenced code block: what comes later cannot change how it looks.
    """

    def __init__(self) -> None:
        self.pending = ""
        self._fence: str | None = None
        self._scanned = 0
        """Characters of ``pending`` whose complete lines were already looked at."""
        self._split = 0
        """End of the last finished block found in ``pending``."""

    def feed(self, text: str) -> str:
        """Add ``text``; return the blocks it finished (possibly ""), ending in a blank line."""
        self.pending += text
        start = self._scanned
        while True:
            end = self.pending.find("\n", start)
            if end < 0:
                break
            line = self.pending[start:end]
            fence = _FENCE.match(line)
            if fence is not None:
                mark = fence[1]
                if self._fence is None:
                    self._fence = mark
                elif mark[0] == self._fence[0] and len(mark) >= len(self._fence) and not line.strip()[len(mark):]:
                    self._fence = None
            elif self._fence is None and line.strip() == "" and start > 0:
                self._split = end + 1  # a candidate; confirmed once the next block starts
            start = end + 1
        self._scanned = start
        rest = self.pending[self._split :]
        if self._split and self._fence is None and rest[:1] not in ("", " ", "\t", "\n"):
            done, self.pending = self.pending[: self._split], rest
            self._scanned -= self._split
            self._split = 0
            return done
        return ""


class RichReply:
    """The reply rendered as Markdown while it streams, for a terminal.

    Finished blocks are printed once, above a live area that redraws only the block still
    growing: a live area taller than the screen cannot be redrawn cleanly.
    """

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream)
        self._blocks = MarkdownBlocks()
        self._live = Live(console=self.console, refresh_per_second=10, transient=False)
        self._live.start()

    @staticmethod
    def _markdown(text: str) -> Any:
        from rich.markdown import Markdown

        return _WithoutTrailingBlankLines(Markdown(text))

    def write(self, fragment: str) -> None:
        done = self._blocks.feed(fragment)
        if done:
            self.console.print(self._markdown(done))
            self.console.print()  # blocks are printed one by one: one blank line between them
        self._live.update(self._markdown(self._blocks.pending), refresh=bool(done))

    def close(self) -> None:
        self._live.update(self._markdown(self._blocks.pending))
        self._live.stop()


class _WithoutTrailingBlankLines:
    """A renderable minus the blank lines at its end (Rich ends a paragraph with one, a list
    with none), so blocks printed separately are spaced evenly."""

    def __init__(self, renderable: Any) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment

        lines = console.render_lines(self.renderable, options, pad=False)
        while lines and all(_blank(segment) for segment in lines[-1]):
            lines.pop()
        for line in lines:
            yield from line
            yield Segment.line()


def _blank(segment: Any) -> bool:
    """Whitespace without a background (a code block's padding has one: it stays)."""
    return not segment.text.strip() and (segment.style is None or segment.style.bgcolor is None)


def reply_writer(stream: TextIO) -> ReplyWriter:
    """Rendered Markdown on a terminal, the plain text everywhere else."""
    return RichReply(stream) if is_terminal(stream) else PlainReply(stream)


class StatusLine:
    """One line of progress on stderr, redrawn in place; silent unless stderr is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = is_terminal(stream)
        self._shown = False

    def show(self, message: str) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[2K" + message)
            self.stream.flush()
            self._shown = True

    def note(self, message: str) -> None:
        """A line that stays (the prompt Gemini wrote)."""
        if self.enabled:
            self.stream.write("\r\x1b[2K" + message + "\n")
            self.stream.flush()
            self._shown = False

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False
