"""The command palette's commands (``App.get_system_commands``), shown as plain text.

Textual's own provider hands titles and help to the palette as markup: a translated
"its id for [keymap]" lost its "[keymap]", and a "[/]" would stop the app. Here every
title and help line is ``Content``, which the palette shows as it is.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Matcher
from textual.content import Content
from textual.system_commands import SystemCommandsProvider


def highlighted(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` with the characters the query matched highlighted, as
    ``Matcher.highlight`` does, without reading ``candidate`` as markup."""
    content = Content(candidate)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class PlainSystemCommands(SystemCommandsProvider):
    """``SystemCommandsProvider`` with plain-text titles and help."""

    async def discover(self) -> Hits:
        commands = sorted(self.app.get_system_commands(self.screen), key=lambda command: command[0])
        for name, help_text, callback, discover in commands:
            if discover:
                yield DiscoveryHit(Content(name), callback, text=name, help=Content(help_text))  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            if (match := matcher.match(name)) > 0:
                yield Hit(match, highlighted(matcher, name), callback, text=name, help=Content(help_text))  # type: ignore[arg-type]
