"""ModelName: a model id that, where it does not fit on one line, keeps its start and end.

Model ids put what tells them apart at the end (``stabilityai/stable-diffusion-xl-base-1.0``,
``…-2-1``, ``…-3.5-large``): cut at the right edge, two ids look the same. A picker's closed
box shows ``stabilityai/…xl-base-1.0``; its open list shows the whole id (wrapped if it must).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.visual import Visual

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.strip import Strip
    from textual.style import Style
    from textual.visual import RenderOptions

ELLIPSIS = "…"
MIN_TAIL = 6
"""Cells of the end kept at least before the owner (``stabilityai/``) is given up."""
SEPARATORS = "-_./: "


def _head(text: str, cells: int) -> str:
    taken, width = [], 0
    for char in text:
        width += cell_len(char)
        if width > cells:
            break
        taken.append(char)
    return "".join(taken)


def _tail(text: str, cells: int) -> str:
    return _head(text[::-1], cells)[::-1]


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: the owner part (up to ``/``) or the start, ``…``,
    then as much of the end as fits, starting at a word boundary where one is close."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    owner, slash, _ = text.partition("/")
    head = owner + slash if slash and cell_len(owner) + 1 + MIN_TAIL <= room else _head(text, room // 3)
    tail = _tail(text, room - cell_len(head))
    # Start the end at a separator ("…xl-base-1.0", not "…fusion-xl-base-1.0") unless it
    # starts at one already or that would throw away over half of it.
    mid_word = text[len(text) - len(tail) - 1] not in SEPARATORS
    cut = next((index for index, char in enumerate(tail) if char in SEPARATORS), None)
    if mid_word and cut is not None and 0 < cut < len(tail) - 1 and len(tail) - cut - 1 >= len(tail) // 2:
        tail = tail[cut + 1 :]
    return head + ELLIPSIS + tail.lstrip(SEPARATORS)


class ModelName(Text):
    """A model id as a Select prompt (plain text, never markup). A ``Text``, so the open
    list's type-to-search finds it; drawn by :class:`ModelNameVisual`."""

    def visualize(self) -> Visual:
        return ModelNameVisual(self.plain)


class ModelNameVisual(Visual):
    """Given one line too narrow for it (a picker's closed box, styled ``height: 1``), the
    name is shortened in the middle; given room for more (the open list), it wraps whole."""

    def __init__(self, text: str) -> None:
        self.content = Content(text)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        text = self.content.plain
        if height == 1 and cell_len(text) > width:
            return Content(shorten_middle(text, width)).render_strips(width, 1, style, options)
        return self.content.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content.get_height(rules, width)
