"""The live Markdown of a streaming reply: Textual's, with blocks that grow in place.

On each streamed update Textual's Markdown re-parses the last block and, unless it is a
paragraph or a code fence, removes its widgets and mounts new ones. A list is about four
widgets per item, so every update of a growing list rebuilt a dozen widgets: style
matching for each, and a widget tree of cyclic garbage that the collector later freed
in pauses of 100-400 ms. Here lists and headings update their existing widgets and
mount only what is new; anything they cannot match falls back to Textual's rebuild.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.await_complete import AwaitComplete
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBullet,
    MarkdownBulletList,
    MarkdownFence,
    MarkdownH1,
    MarkdownH2,
    MarkdownH3,
    MarkdownH4,
    MarkdownH5,
    MarkdownH6,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownOrderedListItem,
    MarkdownParagraph,
)

from g2d_tui.gc_policy import collect_young


class _GrowingList:
    """Updates a mounted list from a freshly parsed version of itself."""

    def item_rows(self, block: MarkdownBlock) -> Iterator[tuple[str, list[MarkdownBlock]]]:
        """(bullet, child blocks) per item of ``block``, as Textual's ``compose`` lays them out."""
        for item in block._blocks:
            if isinstance(item, MarkdownListItem):
                yield item.bullet, item._blocks

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if type(block) is not type(self) or not await self.grow_into(block):
            await super()._update_from_block(block)

    async def grow_into(self, block: MarkdownBlock) -> bool:
        """Make this list show ``block``; False (nothing changed) if it has fewer items."""
        if self._blocks:
            return False  # not composed yet: its rows are still to come
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
        rows = sum(isinstance(child, Horizontal) for child in widget.children)
        return len(list(widget.item_rows(block))) >= rows
    return isinstance(widget, (MarkdownParagraph, MarkdownFence))


class GrowingBulletList(_GrowingList, MarkdownBulletList):
    pass


class GrowingOrderedList(_GrowingList, MarkdownOrderedList):
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


class ReplyMarkdown(Markdown):
    """Textual's Markdown whose lists and headings grow in place while a reply streams."""

    BLOCKS = {
        **Markdown.BLOCKS,
        "bullet_list_open": GrowingBulletList,
        "ordered_list_open": GrowingOrderedList,
        **{
            f"h{level}": type(f"GrowingH{level}", (_GrowingHeading, heading), {})
            for level, heading in enumerate((MarkdownH1, MarkdownH2, MarkdownH3, MarkdownH4, MarkdownH5, MarkdownH6), 1)
        },
    }

    def append(self, markdown: str) -> AwaitComplete:
        """Textual's append, then a young garbage collection while nothing is half built."""
        appended = super().append(markdown)

        async def then_collect() -> None:
            await appended
            collect_young()

        return AwaitComplete(then_collect())
