"""Command line: parse flags, load settings, pick the language, detect graphics, run."""

from __future__ import annotations

import sys

from g2d_tui import __version__

TYPE_CHECKING = False  # not typing's: importing typing is ~5 ms of `g2d-tui --version`
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


def build_parser() -> argparse.ArgumentParser:
    from g2d_tui import i18n
    from g2d_tui.cli.arguments import translated_parser

    t = i18n.t
    parser = translated_parser("g2d-tui", t("cli.description"), t("cli.epilog"))
    parser.add_argument("--version", action="version", version=f"g2d-tui {__version__}", help=t("cli.version"))
    parser.add_argument("--config", metavar=t("cli.path"), help=t("cli.config"))
    parser.add_argument("--lang", choices=list(i18n.LANGUAGES), help=t("cli.lang"))
    parser.add_argument("--no-tuning", action="store_true", help=t("cli.no_tuning"))
    return parser


def main(argv: list[str] | None = None) -> None:
    from g2d_tui import crash

    crash.install()  # a crash before the app runs: no keys shown, a report, exit status 1
    argv = sys.argv[1:] if argv is None else argv
    if argv:  # a subcommand (ask, imagine, serve) or a bare --version: no app to start
        from g2d_tui.cli import dispatch

        code = dispatch(argv)
        if code is not None:
            raise SystemExit(code)
    # Only the app needs these: a subcommand or --version is answered without them.
    from pathlib import Path

    from g2d_tui import i18n, tuning

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
