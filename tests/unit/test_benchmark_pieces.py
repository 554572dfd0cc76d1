"""Every tuning piece has benchmark rows to earn its place on (``benchmarks/pieces.py``)."""

from __future__ import annotations

from benchmarks.pieces import TARGET_SECTIONS
from g2d_tui import tuning


def test_every_piece_is_measured_on_its_target_rows():
    assert set(TARGET_SECTIONS) == set(tuning.names())
    sections = {"cold", "stream", "image", "memory", "chat"}
    assert all(targets and set(targets) <= sections for targets in TARGET_SECTIONS.values())
