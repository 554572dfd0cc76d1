"""ThumbnailGrid: the gallery's pictures as a grid of small half-cell thumbnails.

A line-API widget: it draws only the rows in view, from strips made in threads (the screen
decodes the thumbnails; widgets call no services). It keeps the strips of the pictures in
view and of one screen of them above and below; the others are dropped, so the memory it
holds follows the screen, not the size of the gallery. It asks for what it lacks with
messages: :class:`MoreWanted` for the next records, :class:`ThumbnailsWanted` for pictures
coming into view without strips. Captions are the pictures' prompts, drawn as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from g2d_tui.keys import bind

if TYPE_CHECKING:
    from rich.style import Style

    from g2d_tui.conversation import Picture

IMAGE_COLUMNS = 16
IMAGE_ROWS = 8
"""Cells of a thumbnail: 16 x 16 pixels drawn two to a cell (▀), a square picture fills it."""
TILE_WIDTH = IMAGE_COLUMNS + 2
"""A thumbnail and a margin cell each side (coloured around the selected one)."""
TILE_HEIGHT = IMAGE_ROWS + 2
"""A thumbnail, its caption and a blank line."""
FAILED = None
"""What :meth:`ThumbnailGrid.set_thumbnail` is given for a picture that cannot be shown."""
_NOT_YET = object()


class ThumbnailGrid(ScrollView, can_focus=True):
    """Pictures newest first, a cursor on one of them."""

    DEFAULT_CSS = """
    ThumbnailGrid { background: $surface; scrollbar-size-vertical: 1; }
    ThumbnailGrid > .thumbnail-grid--caption { color: $text-muted; }
    ThumbnailGrid > .thumbnail-grid--cursor { background: $secondary-muted; color: $text; }
    ThumbnailGrid:focus > .thumbnail-grid--cursor { background: $accent; color: $text; text-style: bold; }
    ThumbnailGrid > .thumbnail-grid--placeholder { background: $panel; color: $text-muted; }
    """
    COMPONENT_CLASSES = {"thumbnail-grid--caption", "thumbnail-grid--cursor", "thumbnail-grid--placeholder"}
    BINDINGS = [
        bind("left", "move(-1)", "gallery_left", show=False),
        bind("right", "move(1)", "gallery_right", show=False),
        bind("up", "move_rows(-1)", "gallery_up", show=False),
        bind("down", "move_rows(1)", "gallery_down", show=False),
        bind("pageup", "move_page(-1)", "gallery_page_up", show=False),
        bind("pagedown", "move_page(1)", "gallery_page_down", show=False),
        bind("home", "first", "gallery_first", show=False),
        bind("end", "last", "gallery_last", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor is on another picture (None: nothing to show, or not loaded yet)."""

        grid: ThumbnailGrid
        picture: Picture | None

    @dataclass
    class MoreWanted(Message):
        """Load records until ``count`` pictures are loaded (or there are no more)."""

        grid: ThumbnailGrid
        count: int

    @dataclass
    class ThumbnailsWanted(Message):
        """Make the thumbnails of these pictures (in view, or about to be)."""

        grid: ThumbnailGrid
        pictures: list[Picture]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.total = 0
        """Pictures in the gallery (with the filter), loaded or not."""
        self.pictures: list[Picture] = []
        """The records loaded so far, newest first."""
        self.cursor = 0
        self._thumbnails: dict[int, list[Strip] | None] = {}
        """Strips by picture id, for the pictures near the view only (None: cannot be shown)."""
        self._asked: set[int] = set()
        self._keep: frozenset[int] = frozenset()
        """Ids of the pictures near the view: workers skip the others (read from threads)."""
        self._more_asked = 0
        self._check_pending = False
        self._lines: dict[tuple[int, int], Strip] = {}
        """Lines drawn, by (line of the whole grid, width); cleared by any change."""
        self._palette: tuple[Style, Style, Style, Style] | None = None

    # -- the data ------------------------------------------------------------------------------

    @property
    def picture(self) -> Picture | None:
        """The picture under the cursor, if its record is loaded."""
        return self.pictures[self.cursor] if self.cursor < len(self.pictures) else None

    @property
    def thumbnails_held(self) -> int:
        """How many thumbnails are in memory (those near the view)."""
        return sum(1 for strips in self._thumbnails.values() if strips is not None)

    @property
    def thumbnails_pending(self) -> int:
        """Thumbnails asked for (in view or about to be) and not made yet."""
        return len(self._asked - self._thumbnails.keys())

    def reset(self, total: int, pictures: list[Picture]) -> None:
        """Show another set of pictures (the first page of ``total``), the cursor on the first."""
        self.total, self.pictures, self.cursor = total, list(pictures), 0
        self._thumbnails.clear()
        self._asked.clear()
        self._keep = frozenset()
        self._more_asked = len(self.pictures)
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._changed()
        self._schedule_check()
        self.post_message(self.Highlighted(self, self.picture))

    def extend(self, pictures: list[Picture]) -> None:
        """The next records came (asked for with :class:`MoreWanted`)."""
        waiting = self.picture is None
        self.pictures.extend(pictures)
        self._changed()
        self._schedule_check()
        if waiting and self.picture is not None:
            self.post_message(self.Highlighted(self, self.picture))

    def drop(self, picture_id: int) -> None:
        """A picture left the gallery."""
        index = next((i for i, picture in enumerate(self.pictures) if picture.id == picture_id), None)
        if index is None:
            return
        del self.pictures[index]
        self.total = max(0, self.total - 1)
        self._more_asked = max(0, self._more_asked - 1)
        self._thumbnails.pop(picture_id, None)
        self._asked.discard(picture_id)
        self.cursor = max(0, min(self.cursor, self.total - 1))
        self._update_virtual_size()
        self._changed()
        self._schedule_check()
        self.post_message(self.Highlighted(self, self.picture))

    def set_thumbnail(self, picture_id: int, strips: list[Strip] | None) -> None:
        """A thumbnail is ready (None: the picture cannot be shown)."""
        if picture_id not in self._keep:
            self._asked.discard(picture_id)  # scrolled away meanwhile: asked again if it comes back
            return
        self._thumbnails[picture_id] = strips
        self._changed()

    def still_wanted(self, picture_id: int) -> bool:
        """Whether a thumbnail being made is still near the view (safe to call from a thread)."""
        return picture_id in self._keep

    # -- geometry ------------------------------------------------------------------------------

    @property
    def columns(self) -> int:
        return max(1, self.scrollable_content_region.width // TILE_WIDTH)

    def _update_virtual_size(self) -> None:
        columns = self.columns
        rows = -(-self.total // columns)
        size = Size(columns * TILE_WIDTH, rows * TILE_HEIGHT)
        if size != self.virtual_size:
            self.virtual_size = size
            self._scroll_update(size)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self.scroll_to_cursor()
        self._schedule_check()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._schedule_check()

    def scroll_to_cursor(self) -> None:
        row = self.cursor // self.columns
        self.scroll_to_region(Region(0, row * TILE_HEIGHT, TILE_WIDTH, TILE_HEIGHT), animate=False, immediate=True)

    # -- what is in view -----------------------------------------------------------------------

    def _schedule_check(self) -> None:
        if not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._check_view)

    def _check_view(self) -> None:
        """Ask for the records and thumbnails the view needs; drop thumbnails far from it."""
        self._check_pending = False
        height = self.scrollable_content_region.height
        if not self.total or height <= 0:
            return
        columns = self.columns
        top = int(self.scroll_offset.y)
        first_row, last_row = top // TILE_HEIGHT, (top + height - 1) // TILE_HEIGHT
        screen = (last_row - first_row + 1) * columns
        first = first_row * columns
        ahead = min(self.total, first + 2 * screen)  # the view and one screen below it
        if ahead > len(self.pictures) and ahead > self._more_asked:
            self._more_asked = ahead
            self.post_message(self.MoreWanted(self, ahead))
        loaded = self.pictures
        self._keep = frozenset(picture.id for picture in loaded[max(0, first - screen) : ahead] if picture.id is not None)
        dropped = [key for key in self._thumbnails if key not in self._keep]
        for picture_id in dropped:
            del self._thumbnails[picture_id]
        if dropped:
            self._lines.clear()  # lines far from the view may show them
        self._asked &= self._keep
        wanted = [
            picture for picture in loaded[first:ahead]
            if picture.id is not None and picture.id not in self._thumbnails and picture.id not in self._asked
        ]
        if wanted:
            self._asked.update(picture.id for picture in wanted)
            self.post_message(self.ThumbnailsWanted(self, wanted))

    # -- drawing -------------------------------------------------------------------------------

    def _changed(self) -> None:
        """What is drawn changed: forget the lines drawn, repaint."""
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        self._palette = None
        self._lines.clear()
        super().notify_style_update()

    def on_focus(self) -> None:
        self._palette = None  # the cursor is brighter while the grid has the focus
        self._changed()

    def on_blur(self) -> None:
        self._palette = None
        self._changed()

    def _styles(self) -> tuple[Style, Style, Style, Style]:
        """The widget's style, and it with the cursor, caption and placeholder styles."""
        if self._palette is None:
            base = self.rich_style
            self._palette = (
                base,
                base + self.get_component_rich_style("thumbnail-grid--cursor"),
                base + self.get_component_rich_style("thumbnail-grid--caption"),
                base + self.get_component_rich_style("thumbnail-grid--placeholder"),
            )
        return self._palette

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        absolute = int(self.scroll_offset.y) + y
        strip = self._lines.get((absolute, width))
        if strip is None:
            row, line = divmod(absolute, TILE_HEIGHT)
            first = row * self.columns
            last = min(self.total, first + self.columns)
            styles = self._styles()
            segments: list[Segment] = []
            for index in range(first, last):
                segments.extend(self._tile_line(index, line, styles))
            strip = Strip(segments, max(0, last - first) * TILE_WIDTH).extend_cell_length(width, styles[0]).crop(0, width)
            if len(self._lines) > 4 * max(1, self.size.height):  # a screen's lines and a few more
                self._lines.clear()
            self._lines[(absolute, width)] = strip
        return strip

    def _tile_line(self, index: int, line: int, styles: tuple[Style, Style, Style, Style]) -> list[Segment]:
        base, cursor, caption_style, _ = styles
        picture = self.pictures[index] if index < len(self.pictures) else None
        edge = Segment(" ", cursor if index == self.cursor else base)
        if line == IMAGE_ROWS:
            caption = " ".join(picture.prompt.split()) if picture is not None else ""
            style = cursor if index == self.cursor else caption_style
            return [edge, Segment(set_cell_size(caption, IMAGE_COLUMNS), style), edge]
        if line > IMAGE_ROWS:
            return [Segment(" " * TILE_WIDTH, base)]
        return [edge, *self._image_line(picture, line, styles), edge]

    def _image_line(self, picture: Picture | None, line: int, styles: tuple[Style, Style, Style, Style]) -> list[Segment]:
        base, placeholder = styles[0], styles[3]
        strips = self._thumbnails.get(picture.id, _NOT_YET) if picture is not None and picture.id is not None else _NOT_YET
        if isinstance(strips, list):
            top = (IMAGE_ROWS - len(strips)) // 2
            if not 0 <= line - top < len(strips):
                return [Segment(" " * IMAGE_COLUMNS, base)]
            strip = strips[line - top]
            left = (IMAGE_COLUMNS - strip.cell_length) // 2
            right = max(0, IMAGE_COLUMNS - left - strip.cell_length)
            return [Segment(" " * left, base), *strip, Segment(" " * right, base)]
        mark = "✗" if strips is FAILED else "·"  # cannot be shown / on its way
        text = mark.center(IMAGE_COLUMNS) if line == IMAGE_ROWS // 2 else " " * IMAGE_COLUMNS
        return [Segment(text, placeholder)]

    # -- moving --------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.total:
            return
        index = max(0, min(self.total - 1, index))
        if index == self.cursor:
            return
        self.cursor = index
        self._changed()
        self.scroll_to_cursor()
        self._schedule_check()
        self.post_message(self.Highlighted(self, self.picture))

    def action_move(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_move_rows(self, rows: int) -> None:
        target = self.cursor + rows * self.columns
        if 0 <= target:
            self.move_to(target)

    def action_move_page(self, pages: int) -> None:
        rows = max(1, self.scrollable_content_region.height // TILE_HEIGHT)
        self.move_to(max(0, self.cursor + pages * rows * self.columns))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.total - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        column, row = offset.x // TILE_WIDTH, (offset.y + int(self.scroll_offset.y)) // TILE_HEIGHT
        index = row * self.columns + column
        if column < self.columns and index < self.total:
            self.focus()
            self.move_to(index)
