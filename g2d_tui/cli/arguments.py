"""Translated argparse parsers, shared by ``g2d-tui`` and its subcommands.

argparse looks its own messages up through ``argparse._``; answering from our catalogue
puts "usage:", "error:" and friends in the user's language too.
"""

from __future__ import annotations

import argparse
from typing import Any

from g2d_tui import i18n
from g2d_tui.cli.exit_codes import exit_codes_help
from g2d_tui.i18n import t

ARGPARSE_MESSAGES = {
    "usage: ": "cli.argparse.usage",
    "%(prog)s: error: %(message)s\n": "cli.argparse.error",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "expected one argument": "cli.argparse.expected_one",
}


def argparse_text(message: str) -> str:
    """argparse's own message ``message`` in the current language (unknown ones as they are)."""
    key = ARGPARSE_MESSAGES.get(message)
    return t(key) if key else message


def translated_parser(prog: str, description: str, epilog: str | None = None, **options: Any) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` whose headings, help flag and errors speak the current language."""
    argparse._ = argparse_text  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog, **options)
    parser._positionals.title = t("cli.positionals")
    parser._optionals.title = t("cli.options")
    for action in parser._actions:
        if action.dest == "help":
            action.help = t("cli.help")
    return parser


def subcommand_parser(name: str) -> argparse.ArgumentParser:
    """The parser of ``g2d-tui <name>``: its description (``cli.<name>.description``) and
    the exit codes, as written. Add its own arguments, then :func:`add_common_options`."""
    return translated_parser(
        f"g2d-tui {name}",
        t(f"cli.{name}.description"),
        exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` and ``--lang``, as the app itself takes them."""
    parser.add_argument("--config", metavar=t("cli.path"), help=t("cli.config"))
    parser.add_argument("--lang", choices=list(i18n.LANGUAGES), help=t("cli.lang"))


def peek(argv: list[str]) -> argparse.Namespace:
    """``--config`` and ``--lang`` before the real parser, whose help must be translated."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    early.add_argument("--config")
    known, _ = early.parse_known_args(argv)
    return known


class UsageError(Exception):
    """A command line that parsed but cannot be run; the runner reports it as argparse would (exit 2)."""
