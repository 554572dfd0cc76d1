"""Run one subcommand: settings and language first, then its parser, then the command;
expected failures become a message on stderr and an exit code, never a traceback."""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from g2d_tui import i18n
from g2d_tui.cli.arguments import UsageError, peek
from g2d_tui.cli.exit_codes import ExitCode, exit_code_for
from g2d_tui.cli.output import report
from g2d_tui.services.errors import ServiceError

if TYPE_CHECKING:
    import argparse

    from g2d_tui.settings.model import Environment, Settings


@dataclass
class Streams:
    """Where a command reads and writes; tests pass their own."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    @classmethod
    def standard(cls) -> Streams:
        return cls(sys.stdin, sys.stdout, sys.stderr)


@dataclass
class Context:
    """What every subcommand gets besides its arguments."""

    settings: Settings
    environment: Environment
    streams: Streams
    config: str | None
    """The settings file given with ``--config`` (None: the default one)."""


def run(name: str, argv: list[str], streams: Streams | None = None, environ: dict[str, str] | None = None) -> int:
    """Run subcommand ``name`` (a module of this package) with ``argv``; returns the exit code."""
    streams = streams or Streams.standard()
    try:
        return _run(name, argv, streams, environ)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more to say, and nobody to say it to.
        _silence_stdout(streams.stdout)
        return ExitCode.OTHER


def _run(name: str, argv: list[str], streams: Streams, environ: dict[str, str] | None) -> int:
    from g2d_tui.paths import config_path
    from g2d_tui.settings.model import Environment
    from g2d_tui.settings.store import SettingsStore

    early = peek(argv)
    store = SettingsStore(Path(early.config).expanduser() if early.config else config_path())
    loaded = store.load()
    i18n.set_language(i18n.resolve_language(early.lang, loaded.settings.ui.language))
    command: Any = importlib.import_module(f"g2d_tui.cli.{name}")
    parser: argparse.ArgumentParser = command.build_parser()
    try:
        with redirect_stdout(streams.stdout), redirect_stderr(streams.stderr):
            args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse already explained
        return _code(stop)
    for problem in loaded.problems:
        report(streams.stderr, problem.message())
    context = Context(
        settings=loaded.settings,
        environment=Environment.from_environ(environ),
        streams=streams,
        config=early.config,
    )
    try:
        return int(command.run(args, context))
    except UsageError as error:
        try:
            with redirect_stderr(streams.stderr):
                parser.error(str(error))
        except SystemExit as stop:
            return _code(stop)
        return ExitCode.USAGE
    except ServiceError as error:
        report(streams.stderr, error.message())
        return exit_code_for(error.key)


def _code(stop: SystemExit) -> int:
    return ExitCode.OK if stop.code is None else stop.code if isinstance(stop.code, int) else ExitCode.USAGE


def _silence_stdout(stdout: TextIO) -> None:
    """Point the real stdout at /dev/null so the interpreter's final flush raises nothing."""
    if stdout is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def warn_about_plain_http(context: Context, settings: Settings, *, chat: bool = False, images: bool = False) -> None:
    """Say on stderr, before the request, where a key would go unencrypted (plain http to
    another machine): a script cannot be asked, but its user is told."""
    from g2d_tui.cli.output import report
    from g2d_tui.i18n import t
    from g2d_tui.services.sanitize import clean_line
    from g2d_tui.services.transport_safety import key_destinations
    from g2d_tui.settings.model import effective

    resolved = effective(settings, context.environment)
    provider = settings.images.huggingface.provider
    for destination in key_destinations(resolved, settings.images.backend, hf_provider=provider, chat=chat, images=images):
        key = t(f"transport.key.{destination.key}")
        report(context.streams.stderr, t("transport.cli_warning", key=key, url=clean_line(destination.origin, 120)))
