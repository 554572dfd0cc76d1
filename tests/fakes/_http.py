"""Moved to :mod:`g2d_tui.devtools.fakes._http`; tests import it from here as before."""

from __future__ import annotations

from g2d_tui.devtools.fakes import _http as _moved
from g2d_tui.devtools.fakes._http import *  # noqa: F403


def __getattr__(name: str):
    return getattr(_moved, name)
