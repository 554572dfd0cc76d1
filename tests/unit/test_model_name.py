"""Model ids shortened in the middle: the end, which tells ids apart, stays."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from g2d_tui.widgets.model_name import shorten_middle

SDXL = "stabilityai/stable-diffusion-xl-base-1.0"


@pytest.mark.parametrize(
    "width, shown",
    [
        (60, SDXL),
        (40, SDXL),
        (39, "stabilityai/…diffusion-xl-base-1.0"),
        (35, "stabilityai/…diffusion-xl-base-1.0"),  # no leading "-"
        (31, "stabilityai/…xl-base-1.0"),  # starts at a word, not at "…fusion"
        (24, "stabilityai/…xl-base-1.0"),
        (12, "sta…base-1.0"),  # no room for the owner: a short start, most of the end
        (1, "…"),
        (0, ""),
    ],
)
def test_shortened_in_the_middle(width, shown):
    assert shorten_middle(SDXL, width) == shown


@pytest.mark.parametrize("text", [SDXL, "gemini-2.5-flash-image", "ab/" + "x" * 50, "模型/名前-とても長い-名前-1.0", "a" * 100])
@pytest.mark.parametrize("width", range(0, 45))
def test_fits_and_keeps_the_last_characters(text, width):
    shown = shorten_middle(text, width)
    assert cell_len(shown) <= max(width, 0)
    if cell_len(text) <= width:
        assert shown == text
    elif width >= 3:
        assert shown.count("…") == 1 and text.endswith(shown.split("…")[1])
