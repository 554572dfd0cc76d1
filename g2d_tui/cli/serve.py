"""``g2d-tui serve``: the full app in a browser, through textual-serve (the ``web`` extra).

Each browser tab gets its own ``python -m g2d_tui`` process, with the same ``--config``
and ``--lang``, drawing pictures with half-cells (a browser terminal has no Sixel or
Kitty graphics). Listens on 127.0.0.1 unless told otherwise; any other address requires
a token, generated unless ``--token`` or ``$G2D_TUI_SERVE_TOKEN`` gives one.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.cli.arguments import add_common_options, subcommand_parser
from g2d_tui.cli.exit_codes import ExitCode
from g2d_tui.cli.output import report
from g2d_tui.i18n import t

if TYPE_CHECKING:
    from g2d_tui.cli.runner import Context

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TOKEN_ENV = "G2D_TUI_SERVE_TOKEN"
GENERATE = ""
"""``--token`` without a value: make one up."""


def parse_port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(t("cli.serve.bad_port"))
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = subcommand_parser("serve")
    parser.add_argument("--host", default=DEFAULT_HOST, help=t("cli.serve.host", default=DEFAULT_HOST))
    parser.add_argument("--port", type=parse_port, default=DEFAULT_PORT, help=t("cli.serve.port", default=DEFAULT_PORT))
    parser.add_argument("--token", nargs="?", const=GENERATE, metavar="TOKEN", help=t("cli.serve.token", env=TOKEN_ENV))
    parser.add_argument("--public-url", metavar="URL", help=t("cli.serve.public_url"))
    add_common_options(parser)
    return parser


def app_command(config: str | None, language: str | None) -> str:
    """The shell command textual-serve runs for each browser tab."""
    words = [sys.executable, "-m", "g2d_tui"]
    if config:
        words += ["--config", str(Path(config).expanduser().resolve())]
    if language:
        words += ["--lang", language]
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)


def choose_token(given: str | None, host: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The token clients must show: the one given (flag, then environment), a new one when
    asked for or when ``host`` is reachable from other machines, else None."""
    from g2d_tui.cli.web_server import is_loopback

    if given is None:
        given = environ.get(TOKEN_ENV) or None
    if given == GENERATE or (given is None and not is_loopback(host)):
        return secrets.token_urlsafe(24)
    return given


def address(host: str, port: int, public_url: str | None, token: str | None) -> str:
    """The address to open, token included."""
    if public_url:
        base = public_url.rstrip("/")
    else:
        shown = socket.gethostname() if host in ("", "0.0.0.0", "::") else host
        base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    return f"{base}/?token={token}" if token else f"{base}/"


def run(args: argparse.Namespace, context: Context) -> int:
    try:
        from g2d_tui.cli.web_server import GuardedServer, is_loopback
    except ImportError:
        report(context.streams.stderr, t("cli.serve.needs_web"))
        return ExitCode.OTHER
    token = choose_token(args.token, args.host)
    # Read by every app process textual-serve starts (it copies this environment).
    os.environ["G2D_TUI_IMAGE_RENDERER"] = "halfcell"
    server = GuardedServer(
        app_command(context.config, args.lang),
        host=args.host,
        port=args.port,
        token=token,
        public_url=args.public_url,
    )
    stdout = context.streams.stdout

    def announce() -> None:
        stdout.write(t("cli.serve.listening", url=address(args.host, args.port, args.public_url, token)) + "\n")
        if not is_loopback(args.host):
            report(context.streams.stderr, t("cli.serve.exposed"))
        stdout.write(t("cli.serve.stop") + "\n")
        stdout.flush()

    try:
        server.serve(announce=announce)
    except OSError as error:
        report(context.streams.stderr, t("cli.serve.cannot_listen", host=args.host, port=args.port, reason=error.strerror or error))
        return ExitCode.NETWORK
    return ExitCode.OK
