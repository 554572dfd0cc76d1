"""Command line: parse flags, load settings, pick the language, detect graphics, run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui import __version__, i18n, tuning

if TYPE_CHECKING:
    import argparse


def _peek(argv: list[str]) -> argparse.Namespace:
    """Read --lang and --config before the real parser, whose help must be translated."""
    import argparse

    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument("--lang")
    peek.add_argument("--config")
    known, _ = peek.parse_known_args(argv)
    return known


ARGPARSE_MESSAGES = {
    "usage: ": "cli.argparse.usage",
    "%(prog)s: error: %(message)s\n": "cli.argparse.error",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "expected one argument": "cli.argparse.expected_one",
}


def _argparse_text(message: str) -> str:
    """argparse looks its own messages up through ``argparse._``; answer from our catalogue."""
    key = ARGPARSE_MESSAGES.get(message)
    return i18n.t(key) if key else message


def build_parser() -> argparse.ArgumentParser:
    import argparse

    t = i18n.t
    argparse._ = _argparse_text  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(prog="g2d-tui", description=t("cli.description"), epilog=t("cli.epilog"))
    parser._positionals.title = t("cli.positionals")
    parser._optionals.title = t("cli.options")
    for action in parser._actions:
        if action.dest == "help":
            action.help = t("cli.help")
    parser.add_argument("--version", action="version", version=f"g2d-tui {__version__}", help=t("cli.version"))
    parser.add_argument("--config", metavar=t("cli.path"), help=t("cli.config"))
    parser.add_argument("--lang", choices=list(i18n.LANGUAGES), help=t("cli.lang"))
    parser.add_argument("--no-tuning", action="store_true", help=t("cli.no_tuning"))
    return parser


def main(argv: list[str] | None = None) -> None:
    from g2d_tui import crash

    crash.install()  # a crash before the app runs: no keys shown, a report, exit status 1
    argv = sys.argv[1:] if argv is None else argv
    # Plain `g2d-tui` (the usual launch) has nothing to parse: argparse would add ~3 ms of
    # imports and parser building to a start-up measured against a bare Textual app.
    early = _peek(argv) if argv else None
    from g2d_tui.paths import config_path
    from g2d_tui.settings.store import SettingsStore

    config, lang = (early.config, early.lang) if early else (None, None)
    store = SettingsStore(Path(config).expanduser() if config else config_path())
    loaded = store.load()
    i18n.set_language(i18n.resolve_language(lang, loaded.settings.ui.language))
    if argv:
        lang = build_parser().parse_args(argv).lang

    # Runtime tuning (g2d_tui/tuning) starts here or not at all: its terminal probe runs in
    # a thread while this one imports the app, and its patches go in before the app is made.
    tuned = tuning.wanted(argv)
    off = tuning.pieces_off()
    if tuned:
        tuning.pause_collections_for_startup(without=off)
        tuning.apply(without=off | {piece for piece in tuning.names() if piece not in tuning.EARLY})
    from g2d_tui.app import G2DApp

    if tuned:
        tuning.apply(without=off)
    app = G2DApp(store, loaded, language_from_cli=lang)
    tuning.before_run()
    app.run()
    sys.exit(app.return_code)  # non-zero after a crash


if __name__ == "__main__":
    main()
