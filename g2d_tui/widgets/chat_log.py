"""ChatLog: the conversation, drawn from its data, with widgets only near the viewport.

The log keeps an :class:`Entry` per turn (user message, reply, picture, note). Only the
entries around what is on screen have widgets; the space of the others is held by two
spacers whose heights are the sum of theirs (measured when they were last on screen, else
estimated from their text). Scrolling mounts the entries coming into view and removes
those far from it, so the cost of a frame, and the memory of the log, depend on the
screen, not on the length of the conversation. A widget that is mounted again is built
from its entry; a reply or picture still in progress picks up where its entry is.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from textual.containers import VerticalScroll
from textual.widget import Widget

from g2d_tui.conversation import Turn


@dataclass(eq=False)
class Entry:
    """One turn of the log and what the log knows about it on screen."""

    turn: Turn
    key: str = ""
    """Notes (and failures): the catalogue message, translated when shown."""
    params: dict[str, Any] = field(default_factory=dict)
    level: str = "info"
    run: Any = None
    """An image turn's run (prompt, progress, pictures): what its card shows."""
    height: int = 0
    """Lines it takes (margin included) at ``measured_width``; an estimate when that is 0."""
    measured_width: int = 0
    widget: Widget | None = None

    @property
    def role(self) -> str:
        return self.turn.role


class Spacer(Widget):
    """Holds the place of the entries that have no widgets."""

    DEFAULT_CSS = "Spacer { height: 0; width: 1fr; }"

    def set_height(self, height: int) -> None:
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height


def wrapped_lines(text: str, width: int) -> int:
    """Lines ``text`` takes wrapped at ``width`` cells (an estimate: words are not kept whole)."""
    width = max(width, 1)
    return sum(max(1, math.ceil(len(line) / width)) for line in text.split("\n"))


class ChatLog(VerticalScroll, can_focus=True):
    """The scrolling conversation, anchored to the bottom until the user scrolls up.

    Args:
        make_widget: builds the widget of an entry (the screen knows every kind).
        estimate: lines an entry would take at a content width, before it was ever shown.
    """

    OVERSCAN = 1.0
    """Screens of entries kept mounted above and below the visible part."""

    def __init__(
        self,
        make_widget: Callable[[Entry], Widget],
        estimate: Callable[[Entry, int], int],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.entries: list[Entry] = []
        self._make_widget = make_widget
        self._estimate = estimate
        self._first = 0
        """Index of the first entry with a widget; entries [_first, _end) are mounted."""
        self._end = 0
        self._top = Spacer(id="log-top")
        self._bottom = Spacer(id="log-bottom")
        self._reconcile_pending = False
        self._width = 0

    def compose(self):
        yield self._top
        yield self._bottom

    def on_mount(self) -> None:
        self.anchor()

    # -- the data --------------------------------------------------------------------------

    @property
    def mounted_entries(self) -> list[Entry]:
        return self.entries[self._first : self._end]

    async def add(self, entry: Entry) -> Entry:
        """Append ``entry``; it gets a widget when the end of the log is in view (as when
        the log is anchored), else only its place."""
        entry.height = self._estimate(entry, self._content_width())
        self.entries.append(entry)
        index = len(self.entries) - 1
        if self._end == index and (self._at_bottom() or self._end - self._first == 0):
            self._end += 1
            widget = self._widget_for(entry)
            await self.mount(widget, before=self._bottom)
        else:
            self._bottom.set_height(self._bottom_height())
        self._schedule_reconcile()
        return entry

    async def prepend(self, entries: list[Entry]) -> None:
        """Put ``entries`` before every other (a conversation brought back): they get their
        place now and widgets when they come near the view."""
        width = self._content_width()
        for entry in entries:
            entry.height = self._estimate(entry, width)
        self.entries[:0] = entries
        self._first += len(entries)
        self._end += len(entries)
        self._top.set_height(self._top_height())
        self._schedule_reconcile()

    async def clear(self) -> None:
        """Forget every entry (a new conversation)."""
        mounted = [entry.widget for entry in self.mounted_entries if entry.widget is not None]
        for entry in self.entries:
            entry.widget = None
        self.entries, self._first, self._end = [], 0, 0
        if mounted:
            await self.remove_children(mounted)
        self._top.set_height(0)
        self._bottom.set_height(0)
        self.anchor()

    async def remove_entry(self, entry: Entry) -> None:
        """Take ``entry`` out of the log (e.g. a reply that failed before any text)."""
        if entry not in self.entries:
            return
        index = self.entries.index(entry)
        widget = entry.widget
        del self.entries[index]
        if index < self._first:
            self._first -= 1
            self._end -= 1
        elif index < self._end:
            self._end -= 1
        entry.widget = None
        if widget is not None and widget.is_attached:
            await widget.remove()
        self._top.set_height(self._top_height())
        self._bottom.set_height(self._bottom_height())

    def widget_of(self, entry: Entry) -> Widget | None:
        return entry.widget if entry.widget is not None and entry.widget.is_attached else None

    def scroll_to_entry(self, entry: Entry) -> None:
        """Scroll so ``entry`` is at the top of the view (it is mounted when it gets there)."""
        index = self.entries.index(entry)
        self.scroll_to(y=self._offsets()[index], animate=False)
        self._schedule_reconcile()

    # -- the window of widgets -------------------------------------------------------------

    def _widget_for(self, entry: Entry) -> Widget:
        widget = self._make_widget(entry)
        entry.widget = widget
        return widget

    def _content_width(self) -> int:
        return self.scrollable_content_region.width or self.app.size.width - 4

    def _at_bottom(self) -> bool:
        return (self.is_anchored and not self._anchor_released) or self.scroll_y >= self.max_scroll_y - 1

    def _offsets(self) -> list[int]:
        """Where each entry starts (from the top of the content), and where the last one ends."""
        return [0, *accumulate(entry.height for entry in self.entries)]

    def _top_height(self) -> int:
        return sum(entry.height for entry in self.entries[: self._first])

    def _bottom_height(self) -> int:
        return sum(entry.height for entry in self.entries[self._end :])

    def _schedule_reconcile(self) -> None:
        if not self._reconcile_pending:
            self._reconcile_pending = True
            self.call_after_refresh(self._reconcile)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._schedule_reconcile()

    def on_resize(self) -> None:
        width = self._content_width()
        if width != self._width:
            self._width = width
            for entry in self.entries:
                if entry.widget is None:
                    entry.height, entry.measured_width = self._estimate(entry, width), 0
            self._schedule_reconcile()

    def _measure(self) -> bool:
        """Note the real heights of the mounted entries; True if any changed."""
        changed = False
        width = self._content_width()
        for entry in self.mounted_entries:
            widget = entry.widget
            if widget is None or not widget.is_attached or not widget.size.height and not widget.region:
                continue
            margin = widget.styles.margin
            height = widget.outer_size.height + margin.top + margin.bottom
            if height != entry.height or entry.measured_width != width:
                changed = changed or height != entry.height
                entry.height, entry.measured_width = height, width
        return changed

    async def _reconcile(self) -> None:
        """Mount what came near the view, remove what went far from it, resize the spacers;
        what the user is looking at stays where it is on screen."""
        self._reconcile_pending = False
        if not self.is_attached or not self.entries:
            return
        self._measure()
        offsets = self._offsets()
        view = self.scrollable_content_region.height or self.app.size.height
        overscan = int(view * self.OVERSCAN)
        top, bottom = self.scroll_y - overscan, self.scroll_y + view + overscan
        if self._at_bottom():
            top, bottom = offsets[-1] - view - overscan, offsets[-1]
        first = max(0, bisect_right(offsets, top) - 1)
        end = min(len(self.entries), max(first + 1, bisect_right(offsets, bottom)))
        if (first, end) == (self._first, self._end):
            self._set_spacers()
            return
        # What is at the top of the view, and how far into it: kept there whatever moves above.
        anchor_index = max(0, min(len(self.entries) - 1, bisect_right(offsets, self.scroll_y) - 1))
        anchor_entry, anchor_offset = self.entries[anchor_index], self.scroll_y - offsets[anchor_index]
        await self._move_window(first, end)
        self._set_spacers()
        if not self._at_bottom():
            self.call_after_refresh(self._keep_in_view, anchor_entry, anchor_offset)

    async def _move_window(self, first: int, end: int) -> None:
        old = set(range(self._first, self._end))
        new = set(range(first, end))
        leaving = [self.entries[index] for index in sorted(old - new)]
        gone = [entry.widget for entry in leaving if entry.widget is not None]
        for entry in leaving:
            entry.widget = None
        if gone:
            await self.remove_children(gone)
        kept = sorted(old & new)
        before = [self._widget_for(self.entries[index]) for index in range(first, kept[0] if kept else end)]
        after = [self._widget_for(self.entries[index]) for index in range((kept[-1] + 1) if kept else end, end)]
        self._first, self._end = first, end
        if before:
            anchor = self.entries[kept[0]].widget if kept else self._bottom
            await self.mount_all(before, before=anchor)
        if after:
            await self.mount_all(after, before=self._bottom)

    def _set_spacers(self) -> None:
        self._top.set_height(self._top_height())
        self._bottom.set_height(self._bottom_height())

    def _keep_in_view(self, entry: Entry, offset: float) -> None:
        """After the new widgets were laid out (their heights were estimates until then),
        scroll so ``entry`` is where it was."""
        if entry not in self.entries or self._at_bottom():
            return
        if self._measure():
            self._set_spacers()
        index = self.entries.index(entry)
        target = sum(item.height for item in self.entries[:index]) + offset
        if abs(target - self.scroll_y) >= 1:
            self.set_scroll(None, target)

    # -- keys -------------------------------------------------------------------------------

    def action_page_up(self) -> None:
        """A page at once, not animated: each step of an animated scroll moved the window of
        widgets again (and measured what came in), so a page cost several reconciles, and
        their height corrections fought the animation for the scroll position."""
        if self.allow_vertical_scroll:
            self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        """See :meth:`action_page_up`."""
        if self.allow_vertical_scroll:
            self.scroll_page_down(animate=False)

    def visible_entries(self) -> Iterable[Entry]:
        """The entries with a widget in view now."""
        region = self.scrollable_content_region
        for entry in self.mounted_entries:
            widget = entry.widget
            if widget is not None and widget.region and widget.region.overlaps(region):
                yield entry
