"""Moved to :mod:`g2d_tui.devtools.fakes.hostile`; tests import it from here as before."""

from __future__ import annotations

from g2d_tui.devtools.fakes import hostile as _moved
from g2d_tui.devtools.fakes.hostile import *  # noqa: F403


def __getattr__(name: str):
    return getattr(_moved, name)
