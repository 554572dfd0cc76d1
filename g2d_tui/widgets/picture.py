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


DISPLAY_COLUMNS, DISPLAY_ROWS = 64, 24
"""The most cells a picture takes: pixels beyond what that shows are not kept."""


def prepare_picture(data: bytes, image, renderer: str, columns: int, rows: int) -> tuple:
    """Decode ``data`` (a picture's bytes; ``image`` the GeneratedImage when there is one, for
    the preview decoded when its bytes were checked) and scale and encode it for ``renderer``
    within ``columns`` × ``rows`` cells. CPU only: for a thread. See :func:`picture_widget`."""
    from types import SimpleNamespace

    from g2d_tui import hooks
    from g2d_tui.services.image_codec import display_copy
    from g2d_tui.widgets.image_card import cell_size

    preview = getattr(image, "preview", None)
    if renderer == "halfcell":
        if preview is None or not covers(preview, (columns * 2, rows * 4)):
            preview = display_copy(data, columns * 4, rows * 8)  # too small (or none): decode the bytes
        return ("halfcell", halfcell_strips(preview, columns, rows))
    cell_width, cell_height = cell_size()
    box = (DISPLAY_COLUMNS * cell_width, DISPLAY_ROWS * cell_height)
    graphics_picture_class = hooks.slot("graphics_picture_class")  # tuning: encoded here, not in render()
    widget_class = graphics_picture_class(renderer) if graphics_picture_class is not None else None
    if widget_class is None:  # unicode, tuning off, or a textual-image whose hooks changed
        return ("textual-image", renderer, display_copy(data, *box))
    if image is None:
        decoded = display_copy(data, *box)
        image = SimpleNamespace(data=data, preview=decoded, width=decoded.width, height=decoded.height)
    picture, encoded = widget_class.prepare(image, box, columns, rows)
    return ("graphics", widget_class, picture, encoded)


def picture_widget(prepared: tuple) -> Widget:
    """The widget for what :func:`prepare_picture` made: only mounting is left for the event loop."""
    kind = prepared[0]
    if kind == "halfcell":
        return HalfcellPicture(prepared[1])
    if kind == "graphics":
        _, widget_class, picture, encoded = prepared
        return widget_class(picture, encoded)
    from g2d_tui.widgets.image_card import image_widget_class

    _, renderer, picture = prepared
    return image_widget_class(renderer)(picture)
