"""Runtime tuning: every patch of Textual or textual-image internals, the garbage-collector
policy, the allocator tweak and the pacing hooks, in one place, applied from the entry point.

``g2d-tui --no-tuning`` (or ``G2D_TUI_NO_TUNING=1``) runs the app without any of it, on stock
Textual and textual-image; ``G2D_TUI_TUNING_OFF=gc-policy,footer`` leaves out single pieces
(for the benchmark rows that show what each one earns). The app never calls in here: its
widgets and services announce what happens through :mod:`g2d_tui.hooks`, which the pieces
listen to, and use what the pieces put in its slots when they are on.

Each piece checks that the code it replaces is still the code it was written for and
leaves a changed Textual alone; ``applied()`` tells which pieces took.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

NO_TUNING_ENV = "G2D_TUI_NO_TUNING"
PIECES_OFF_ENV = "G2D_TUI_TUNING_OFF"


@dataclass(frozen=True)
class Piece:
    name: str
    apply: Callable[[], Callable[[], None] | None]
    """Applies the piece; returns what undoes it, or None when it did not take."""
    why: str
    upstream: str = ""
    """The upstream issue it works around, where there is one."""


def _pieces() -> list[Piece]:
    from g2d_tui.tuning import footer, gc_policy, gemini_direct, geometry_caches, graphics_picture, growing_markdown, terminal_probe
    from g2d_tui.tuning import textual_patches as patches

    return [
        Piece("gc-policy", gc_policy.install, "no collections at start-up, frozen imports, young passes between Markdown updates, full passes when idle"),
        Piece("allocator", gc_policy.install_allocator, "glibc returns freed picture buffers to the system"),
        Piece("terminal-probe", terminal_probe.install_piece, "asks the terminal for graphics support once, in a thread, while the app imports"),
        Piece("geometry-caches", geometry_caches.install, "Region's lru_caches of 4,096 filled with one-off scroll offsets that every full collection walked"),
        Piece("lazy-strip-caches", patches.lazy_strip_caches, "a Strip made seven caches up front"),
        Piece("paint-after-slow-layouts", patches.paint_after_slow_layouts, "a slow layout's paint waits for a later turn of the loop"),
        Piece("preload-css", patches.preload_css, "widgets that appear later do not re-parse the stylesheet"),
        Piece("footer", footer.install, "the footer changes only the keys that changed and lets go of removed ones"),
        Piece("growing-markdown", growing_markdown.install, "lists and headings of a streaming reply grow in place"),
        Piece("graphics-in-threads", graphics_picture.install, "Sixel and Kitty pictures are encoded in a thread, not in render()"),
        Piece("gemini-direct", gemini_direct.install, "a chat request is built for the new message only, the history kept in its wire form"),
    ]


EARLY = ("gc-policy", "terminal-probe")
"""Pieces the entry point applies before it imports the app (the rest need the app's classes)."""

_undo: dict[str, Callable[[], None]] = {}


def wanted(argv: Iterable[str] = (), environ: dict[str, str] | None = None) -> bool:
    """False when ``--no-tuning`` is among ``argv`` or ``$G2D_TUI_NO_TUNING`` is set (not 0)."""
    env = os.environ if environ is None else environ
    if "--no-tuning" in argv:
        return False
    return env.get(NO_TUNING_ENV, "").strip().lower() in ("", "0", "false", "no")


def pieces_off(environ: dict[str, str] | None = None) -> set[str]:
    env = os.environ if environ is None else environ
    return {name.strip() for name in env.get(PIECES_OFF_ENV, "").split(",") if name.strip()}


def names() -> list[str]:
    return [piece.name for piece in _pieces()]


def apply(*, without: Iterable[str] = ()) -> list[str]:
    """Apply every piece not named in ``without`` (and not already applied); returns those that took."""
    skip = set(without)
    for piece in _pieces():
        if piece.name in skip or piece.name in _undo:
            continue
        undo = piece.apply()
        if undo is not None:
            _undo[piece.name] = undo
    return applied()


def applied() -> list[str]:
    return list(_undo)


def remove() -> None:
    """Undo every applied piece, newest first (tests and benchmarks switch tuning off this way)."""
    from g2d_tui import hooks

    for name in reversed(list(_undo)):
        _undo.pop(name)()
    hooks.reset()


def pause_collections_for_startup(without: Iterable[str] = ()) -> None:
    """No garbage collections until the first screen is up (part of the gc-policy piece):
    nearly everything start-up allocates lives until exit, so passes then free nothing."""
    if "gc-policy" not in set(without):
        from g2d_tui.tuning import gc_policy

        gc_policy.pause_for_startup()


def before_run() -> None:
    """The last step before ``App.run()``: hand the terminal probe's answers to textual-image,
    or with the probe off let textual-image ask the terminal itself, while it still can."""
    from g2d_tui.tuning import terminal_probe

    if not terminal_probe.finish():
        import textual_image.renderable  # noqa: F401 - asks the terminal on import
