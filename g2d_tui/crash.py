"""What happens when the app crashes: no locals, no keys, a private report, a non-zero exit.

Textual's own crash screen is a Rich traceback *with local variables*, which printed the
API keys held by settings objects. Here the traceback carries no locals, every secret
the app knows (``services.secrets``) is masked in every piece of text, control
characters are shown instead of obeyed, and a plain-text report goes to the platform's
log folder with mode 0600. :func:`install` covers crashes before the app runs (loading
settings, the terminal probe); ``G2DApp`` routes its own through :func:`app_crashed`.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from g2d_tui import __version__
from g2d_tui.services import secrets
from g2d_tui.services.sanitize import clean

if TYPE_CHECKING:
    from rich.console import RenderableType

REPORT_PREFIX = "crash-"
MAX_REPORTS = 20
"""Older reports beyond this many are deleted when a new one is written."""


def crash_dir() -> Path:
    """Where crash reports go: the platform's log folder (``~/.local/state/g2d-tui/log`` on Linux)."""
    from platformdirs import user_log_path

    from g2d_tui.paths import APP_NAME

    return user_log_path(APP_NAME, appauthor=False)


def unwrap(error: BaseException) -> BaseException:
    """The exception that really happened: Textual wraps a worker's in ``WorkerFailed``."""
    inner = getattr(error, "error", None)
    if type(error).__name__ == "WorkerFailed" and isinstance(inner, BaseException):
        return inner
    return error


def safe(text: str) -> str:
    """``text`` with every known secret masked and control characters made visible."""
    return clean(secrets.redact_all(text))


def traceback_text(error: BaseException) -> str:
    """The traceback of ``error`` (chained causes included), without locals, made :func:`safe`."""
    error = unwrap(error)
    return safe("".join(traceback.format_exception(type(error), error, error.__traceback__)))


def _versions() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"g2d-tui {__version__}", f"Python {sys.version.split()[0]} ({platform.python_implementation()})"]
    for package in ("textual", "rich", "google-genai", "httpx", "pillow", "textual-image"):
        try:
            lines.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    lines.append(f"Platform {platform.platform()}")
    term = os.environ.get("TERM", "")
    if term:
        lines.append(f"TERM {term}")
    return lines


def report_text(error: BaseException, when: datetime | None = None) -> str:
    """The crash report: time, versions, platform and the traceback (no locals, secrets masked)."""
    when = when or datetime.now().astimezone()
    head = [f"g2d-tui crash report, {when:%Y-%m-%d %H:%M:%S %z}", *_versions(), ""]
    return safe("\n".join(head)) + "\n" + traceback_text(error)


def write_report(error: BaseException, folder: Path | None = None) -> Path | None:
    """Write :func:`report_text` to a new file (mode 0600) in ``folder`` (default :func:`crash_dir`).

    Returns the path, or None when it could not be written (a crash must not raise again).
    """
    try:
        folder = folder or crash_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = report_text(error)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for attempt in range(100):
            path = folder / f"{REPORT_PREFIX}{stamp}-{os.getpid()}{f'-{attempt}' if attempt else ''}.txt"
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(descriptor, "w", encoding="utf-8", errors="replace") as file:
                file.write(text)
            _prune(folder)
            return path
    except Exception:  # noqa: BLE001 - a report that cannot be written is no reason to fail twice
        return None
    return None


def _prune(folder: Path) -> None:
    reports = sorted(folder.glob(f"{REPORT_PREFIX}*.txt"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in reports[MAX_REPORTS:]:
        old.unlink(missing_ok=True)


def exit_message(report: Path | None) -> str:
    """The short note printed to stderr after the app has stopped."""
    from g2d_tui.i18n import t
    from g2d_tui.paths import display_path

    if report is None:
        return t("crash.stopped_no_report")
    return t("crash.stopped", path=display_path(report))


def traceback_renderable(error: BaseException) -> RenderableType:
    """A Rich traceback of ``error`` for the terminal: no locals, every text field :func:`safe`."""
    from rich.traceback import Traceback

    error = unwrap(error)
    trace = Traceback.extract(type(error), error, error.__traceback__, show_locals=False)
    _scrub_trace(trace)
    import rich

    return Traceback(trace, show_locals=False, width=None, suppress=[rich])


def _scrub_trace(trace: Any) -> None:
    for stack in trace.stacks:
        stack.exc_type = safe(stack.exc_type)
        stack.exc_value = safe(stack.exc_value)
        stack.notes = [safe(note) for note in stack.notes]
        if stack.syntax_error is not None:
            stack.syntax_error.line = safe(stack.syntax_error.line)
            stack.syntax_error.msg = safe(stack.syntax_error.msg)
        for frame in stack.frames:
            frame.locals = None
            frame.line = safe(frame.line)
        for group in stack.exceptions:
            _scrub_trace(group)


# -- before and around the app -------------------------------------------------------------


def remember_environment_secrets() -> None:
    """Remember the keys the environment holds, so a crash before the app masks them too."""
    from g2d_tui.settings.model import Environment

    Environment.from_environ()


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    try:
        remember_environment_secrets()
    except Exception:  # noqa: BLE001 - mask what is known, still report
        pass
    if error.__traceback__ is None:
        error = error.with_traceback(tb)
    report = write_report(error)
    try:
        sys.stderr.write(traceback_text(error))
        sys.stderr.write("\n" + exit_message(report) + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - stderr closed: the report is all there is
        pass


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    try:
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"Exception in thread {name}:\n" + traceback_text(args.exc_value))
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass


def install() -> None:
    """Handle uncaught exceptions outside the app like crashes in it (see the module docstring)."""
    secrets.install_log_filter()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


class CrashState:
    """What the app remembers of its crash: the first error and the report written for it."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.report: Path | None = None
        self.told = False
        """Whether the user was told where the report is."""

    def record(self, error: BaseException) -> None:
        """Note ``error``; the first one of a run gets a report."""
        if self.error is None:
            self.error = error
            self.report = write_report(error)

    @property
    def crashed(self) -> bool:
        return self.error is not None
