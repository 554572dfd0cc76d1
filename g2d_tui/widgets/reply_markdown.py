"""The live Markdown of a streaming reply: Textual's, with code blocks never guessed at.

With tuning on, :mod:`g2d_tui.tuning.growing_markdown` puts a subclass whose lists and
headings grow in place in the ``reply_markdown_class`` slot.
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

from g2d_tui import hooks


class ReplyFence(MarkdownFence):
    """A code block whose language is never guessed.

    Without a language (or before it has streamed in: a fence's first line can arrive as
    three backticks alone) Textual asks Pygments to guess one, which imports every lexer
    the first time (~300 ms: a stall of 250-470 ms, now and then, in a streamed reply) and
    tries them all on the code at each update. Rich, which draws the finished part of a
    reply, shows such a block as plain text; so does this.
    """

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language.partition(" ")[0] or "text", ansi, dark)


class ReplyMarkdown(Markdown):
    """Textual's Markdown whose code blocks are not highlighted by guesswork."""

    BLOCKS = {**Markdown.BLOCKS, "fence": ReplyFence, "code_block": ReplyFence}

    def append(self, markdown: str) -> AwaitComplete:
        """Textual's append, then says so (tuning collects its young garbage then)."""
        appended = super().append(markdown)

        async def then_announce() -> None:
            await appended
            hooks.announce("markdown_updated")

        return AwaitComplete(then_announce())


def reply_markdown_class() -> type[ReplyMarkdown]:
    return hooks.slot("reply_markdown_class", ReplyMarkdown)
