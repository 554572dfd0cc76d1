"""ConversationList: stored conversations (or search hits) as a list, filled page by page.

The list holds only the pages loaded so far; when the highlight or the scroll comes near
its end it posts :class:`ConversationList.NearEnd` and the screen adds the next page. Every
text shown comes from the store (titles, replies): it is built into ``Content``, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList

from g2d_tui.i18n import t

if TYPE_CHECKING:
    from datetime import datetime

    from g2d_tui.conversation import Conversation
    from g2d_tui.services.history import SearchHit

HIGHLIGHT_STYLE = "bold underline $text-warning"
"""The words of a search snippet that matched."""


def when(moment: datetime) -> str:
    """A stored time as the list shows it: the same in every language, and sortable."""
    return moment.strftime("%Y-%m-%d %H:%M")


def conversation_lines(conversation: Conversation, title: str) -> list[Content]:
    """The title line and the line under it (date, turns, pictures)."""
    details = [when(conversation.updated), t("conversations.turns", count=conversation.turn_count)]
    if conversation.picture_count:
        details.append(t("conversations.pictures", count=conversation.picture_count))
    return [Content.styled(title, "bold"), Content.styled(" · ".join(details), "$text-muted")]


def snippet_content(hit: SearchHit) -> Content:
    """A search hit's snippet with the words that matched highlighted (by their offsets)."""
    snippet = Content(hit.snippet)
    for start, end in hit.highlights:
        snippet = snippet.stylize(HIGHLIGHT_STYLE, start, end)
    return snippet


def conversation_prompt(conversation: Conversation, title: str, hit: SearchHit | None = None) -> Content:
    """What one option shows: two lines, three for a search hit (its snippet under them)."""
    lines = conversation_lines(conversation, title)
    if hit is not None and hit.snippet and hit.turn_id is not None:  # a title match shows the title already
        lines.append(Content("  ") + snippet_content(hit))
    return Content("\n").join(lines)


class ConversationList(OptionList):
    """The conversations of the conversations screen."""

    NEAR_END = 10
    """Options from the end at which the next page is asked for."""

    @dataclass
    class NearEnd(Message):
        """The user is near the end of what is loaded: load the next page (if there is one)."""

        conversation_list: ConversationList

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self._asked = False

    def page_added(self) -> None:
        """A page came: ask again when the user gets near the new end."""
        self._asked = False
        self.call_after_refresh(self._check_end)

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._check_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_end()

    def _check_end(self) -> None:
        if self._asked or not self.option_count:
            return
        highlighted = self.highlighted
        near_by_cursor = highlighted is not None and highlighted >= self.option_count - self.NEAR_END
        near_by_scroll = self.max_scroll_y - self.scroll_y <= max(1, self.scrollable_content_region.height)
        if near_by_cursor or near_by_scroll:
            self._asked = True
            self.post_message(self.NearEnd(self))
