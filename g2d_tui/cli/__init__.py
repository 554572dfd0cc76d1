"""The subcommands: ``g2d-tui ask``, ``g2d-tui imagine`` and ``g2d-tui serve``.

None of them imports Textual (``serve`` starts the app in a child process): a script
calling ``g2d-tui ask`` pays for Python, the settings and the Gemini SDK, nothing more.
``__main__`` hands every command line with arguments to :func:`dispatch` first.
"""

from __future__ import annotations

SUBCOMMANDS = ("ask", "imagine", "serve")

_GLOBAL_OPTIONS = ("--config", "--lang")
"""Options of the app that may come before a subcommand (``g2d-tui --lang pt-BR ask …``)."""


def split_subcommand(argv: list[str]) -> tuple[str, list[str]] | None:
    """``(name, arguments)`` when ``argv`` names a subcommand, after any global options;
    the global options move behind it. None for the app's own command line."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in _GLOBAL_OPTIONS:
            index += 2
        elif word.startswith(tuple(f"{option}=" for option in _GLOBAL_OPTIONS)):
            index += 1
        else:
            break
    if index < len(argv) and argv[index] in SUBCOMMANDS:
        return argv[index], argv[:index] + argv[index + 1 :]
    return None


def dispatch(argv: list[str]) -> int | None:
    """Run the subcommand ``argv`` names and return its exit code; None if it names none."""
    if argv == ["--version"]:
        # Asked by scripts and package managers: answered before any settings are read.
        import sys

        from g2d_tui import __version__

        sys.stdout.write(f"g2d-tui {__version__}\n")
        return 0
    found = split_subcommand(argv)
    if found is None:
        return None
    from g2d_tui.cli.runner import run

    return run(*found)
