"""The growing-markdown piece: the lists and headings of a streaming reply grow in place.

On each streamed update Textual's Markdown re-parses the last block and, unless it is a
paragraph or a code fence, removes its widgets and mounts new ones. A list is about four
widgets per item, so every update of a growing list rebuilt a dozen widgets: style
matching for each, and a widget tree of cyclic garbage that the collector later freed
in pauses of 100-400 ms. Here lists and headings update their existing widgets and
mount only what is new; anything they cannot match falls back to Textual's rebuild.
A list of one-paragraph items is one widget that draws them the way Textual lays them out.
This reaches into Textual's Markdown internals (``_blocks``, ``_update_from_block``,
``_copy_context``): :func:`install` checks they are there.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBullet,
    MarkdownBulletList,
    MarkdownH1,
    MarkdownH2,
    MarkdownH3,
    MarkdownH4,
    MarkdownH5,
    MarkdownH6,
    MarkdownFence,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownOrderedListItem,
    MarkdownParagraph,
)


class _ListVisual(Visual):
    """List items drawn as Textual lays them out: the marker, and beside it the item's text,
    wrapped to the width that is left (a hanging indent)."""

    def __init__(self, items: list[tuple[Content, Content]]) -> None:
        self.items = items

    def get_optimal_width(self, rules, container_width: int) -> int:
        return container_width

    def get_height(self, rules, width: int) -> int:
        return sum(max(text.get_height(rules, max(width - marker.cell_length, 1)), 1) for marker, text in self.items)

    def render_strips(self, width: int, height: int | None, style, options) -> list[Strip]:
        strips: list[Strip] = []
        for marker, text in self.items:
            indent = marker.cell_length
            marker_line = marker.render_strips(indent, 1, style, options)[0]
            blank = Strip.blank(indent, style.rich_style)
            lines = text.render_strips(max(width - indent, 1), None, style, options)
            lines = lines or [Strip.blank(max(width - indent, 1), style.rich_style)]  # an empty item
            strips.extend(Strip.join([marker_line if n == 0 else blank, line]) for n, line in enumerate(lines))
        return strips if height is None else strips[:height]


class _GrowingList:
    """Updates a mounted list from a freshly parsed version of itself.

    A list whose items are one paragraph each (most of them) is drawn by this one widget:
    Textual makes four widgets per item (a row, the bullet, a column, the paragraph), and
    mounting, laying out and painting those was most of the work of a streamed list.
    """

    _items: list[tuple[Content, Content]] | None = None
    """The items, when this widget draws them itself (see ``simple_items``)."""

    def item_rows(self, block: MarkdownBlock) -> Iterator[tuple[str, list[MarkdownBlock]]]:
        """(bullet, child blocks) per item of ``block``, as Textual's ``compose`` lays them out."""
        for item in block._blocks:
            if isinstance(item, MarkdownListItem):
                yield item.bullet, item._blocks

    def simple_items(self, block: MarkdownBlock) -> list[tuple[Content, Content]] | None:
        """(marker, text) per item of ``block`` if every item is a single paragraph, else None."""
        items = []
        for symbol, blocks in self.item_rows(block):
            if blocks and (len(blocks) > 1 or type(blocks[0]) is not MarkdownParagraph):
                return None
            text = blocks[0]._content if blocks else Content("")  # "1. " streamed so far
            items.append((Content.styled(symbol, ".list--marker"), text))
        return items

    def compose(self) -> ComposeResult:
        self._items = self.simple_items(self)
        if self._items is None:
            yield from super().compose()
        self._blocks.clear()

    def render(self):
        return super().render() if self._items is None else _ListVisual(self._items)

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if type(block) is not type(self) or not await self.grow_into(block):
            await super()._update_from_block(block)

    async def grow_into(self, block: MarkdownBlock) -> bool:
        """Make this list show ``block``; False (nothing changed) if it has fewer items, or
        if this widget draws its items and ``block`` has one that is not a paragraph."""
        if self._blocks:
            return False  # not composed yet: its rows are still to come
        if self._items is not None:
            items = self.simple_items(block)
            if items is None:
                return False
            self._copy_context(block)
            self._items = items
            self.refresh(layout=True)
            return True
        rows = [child for child in self.children if isinstance(child, Horizontal)]
        wanted = list(self.item_rows(block))
        if len(wanted) < len(rows):
            return False
        self._copy_context(block)
        for row, (symbol, blocks) in zip(rows, wanted):
            bullet, column = row.children
            if bullet.symbol != symbol:
                bullet.symbol = symbol
            await update_children(column, blocks)
        new_rows = [_row(symbol, blocks) for symbol, blocks in wanted[len(rows):]]
        if new_rows:
            await self.mount_all(new_rows)
        return True


def _row(symbol: str, blocks: list[MarkdownBlock]) -> Horizontal:
    bullet = MarkdownBullet()
    bullet.symbol = symbol
    return Horizontal(bullet, Vertical(*blocks))


async def update_children(column: Widget, blocks: list[MarkdownBlock]) -> None:
    """Make ``column``'s block widgets show ``blocks``: in place where the kinds match."""
    old = list(column.children)
    same = 0
    while same < min(len(old), len(blocks)) and _updatable(old[same], blocks[same]):
        same += 1
    for widget, block in zip(old[:same], blocks[:same]):
        if isinstance(widget, _GrowingList):
            await widget.grow_into(block)  # cannot fail: _updatable checked the item count
        else:
            await widget._update_from_block(block)  # paragraph or fence: in place
    if same < len(old):
        await column.remove_children(old[same:])
    if same < len(blocks):
        await column.mount_all(blocks[same:])


def _updatable(widget: Widget, block: MarkdownBlock) -> bool:
    if type(widget) is not type(block):
        return False
    if isinstance(widget, _GrowingList):
        if widget._blocks:
            return False
        if widget._items is not None:
            return widget.simple_items(block) is not None
        rows = sum(isinstance(child, Horizontal) for child in widget.children)
        return len(list(widget.item_rows(block))) >= rows
    return isinstance(widget, (MarkdownParagraph, MarkdownFence))


# The marker of an item this widget draws itself: coloured as Textual's MarkdownBullet.
_MARKER_CSS = """
{name} > .list--marker {{ color: $text-primary; }}
{name}:light > .list--marker {{ color: $text-secondary; }}
"""


class GrowingBulletList(_GrowingList, MarkdownBulletList):
    COMPONENT_CLASSES = {"list--marker"}
    DEFAULT_CSS = _MARKER_CSS.format(name="GrowingBulletList")


class GrowingOrderedList(_GrowingList, MarkdownOrderedList):
    COMPONENT_CLASSES = {"list--marker"}
    DEFAULT_CSS = _MARKER_CSS.format(name="GrowingOrderedList")

    def item_rows(self, block: MarkdownBlock) -> Iterator[tuple[str, list[MarkdownBlock]]]:
        # Same numbering and padding as MarkdownOrderedList.compose.
        items = [item for item in block._blocks if isinstance(item, MarkdownListItem)]
        if not items:
            return
        start = 1
        if isinstance(items[0], MarkdownOrderedListItem):
            try:
                start = int(items[0].bullet)
            except ValueError:
                pass
        width = max(len(f"{number}. ") for number in range(start, start + len(items)))
        for number, item in enumerate(items, start):
            yield f"{number}. ".rjust(width + 1), item._blocks


class _GrowingHeading:
    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if type(block) is type(self):
            self._copy_context(block)
            self.set_content(block._content)
        else:
            await super()._update_from_block(block)




def install():
    from g2d_tui import hooks
    from g2d_tui.widgets.reply_markdown import ReplyMarkdown

    if not all(hasattr(MarkdownBlock, name) for name in ("_update_from_block", "_copy_context")):
        return None  # not the Markdown this was written for

    class GrowingReplyMarkdown(ReplyMarkdown):
        BLOCKS = {
            **ReplyMarkdown.BLOCKS,
            "bullet_list_open": GrowingBulletList,
            "ordered_list_open": GrowingOrderedList,
            **{
                f"h{level}": type(f"GrowingH{level}", (_GrowingHeading, heading), {})
                for level, heading in enumerate((MarkdownH1, MarkdownH2, MarkdownH3, MarkdownH4, MarkdownH5, MarkdownH6), 1)
            },
        }

    hooks.fill("reply_markdown_class", GrowingReplyMarkdown)
    return lambda: None
