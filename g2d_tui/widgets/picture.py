"""HalfcellPicture: an image drawn with ▀ cells, its lines built once in a thread.

textual-image's half-cell renderer rebuilds (and rescales) the picture on the event loop
every time the widget renders; at 64×24 cells that is 50–75 ms a render. This widget gets
its strips ready-made, so rendering is a list lookup. Kitty and Sixel keep textual-image.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


def halfcell_strips(picture: PILImage, columns: int, max_rows: int) -> list[Strip]:
    """Scale ``picture`` to at most ``columns`` × ``max_rows`` cells and encode two pixels per cell.

    Pure CPU work on a private copy: meant for a thread worker.
    """
    from PIL import Image

    width, height = picture.size
    columns = max(1, min(columns, width))
    rows = max(1, min(max_rows, round(columns * height / width / 2)))
    columns = max(1, min(columns, round(rows * 2 * width / height)))
    small = picture.convert("RGB").resize((columns, rows * 2), Image.Resampling.LANCZOS)
    small = small.point(lambda value: value & QUANTIZE_MASK)
    pixels = small.load()
    strips = []
    for row in range(rows):
        segments = []
        for column in range(columns):
            style = _style(pixels[column, row * 2], pixels[column, row * 2 + 1])
            segments.append(Segment("▀", style))
        strips.append(Strip(Segment.simplify(segments), columns))
    return strips


def covers(image, pixel_size: tuple[int, int]) -> bool:
    """True if ``image`` has at least ``pixel_size`` pixels: scaled down, not up."""
    return image.width >= pixel_size[0] and image.height >= pixel_size[1]


QUANTIZE_MASK = 0b1111_1100
"""64 levels per channel: no visible banding at two pixels per cell, and pictures share styles."""

_STYLES: dict[tuple, Style] = {}
_MAX_STYLES = 200_000


def _style(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Style:
    """One Style object per colour pair, shared by every picture.

    Rich and Textual cache work per Style object (ANSI codes, combined styles...); with a
    new object for each cell colour of each picture those caches churned through fresh
    entries for every image, while a shared palette keeps hitting the same ones.
    """
    key = (top, bottom)
    style = _STYLES.get(key)
    if style is None:
        from rich.color import Color

        if len(_STYLES) >= _MAX_STYLES:
            _STYLES.clear()
        style = _STYLES[key] = Style.from_color(Color.from_rgb(*top), Color.from_rgb(*bottom))
    return style


class HalfcellPicture(Widget):
    """Shows pre-built half-cell strips at their natural size."""

    DEFAULT_CSS = "HalfcellPicture { width: auto; height: auto; }"

    def __init__(self, strips: list[Strip], **kwargs) -> None:
        super().__init__(**kwargs)
        self.strips = strips
        self._columns = max((strip.cell_length for strip in strips), default=0)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._columns

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.strips)

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self.strips):
            return self.strips[y]
        return Strip.blank(self.size.width)
