"""The tests here check the tuning pieces; with the layer off (``G2D_TUI_NO_TUNING=1``,
the suite on stock Textual) they have nothing to check, except those marked
``untuned_too``."""

from __future__ import annotations

import pytest

from g2d_tui import tuning


@pytest.fixture(autouse=True)
def _only_with_the_layer_on(request):
    if not tuning.wanted() and request.node.get_closest_marker("untuned_too") is None:
        pytest.skip("checks a tuning piece, and the tuning layer is off (G2D_TUI_NO_TUNING)")
