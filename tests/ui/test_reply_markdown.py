"""The live reply Markdown: lists and headings grow in place, and end up as Textual draws them."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Markdown

from g2d_tui.widgets.reply_markdown import GrowingBulletList, GrowingOrderedList, ReplyMarkdown

DOCUMENT = (
    "## A heading that streams in\n\n"
    "- first item with **bold** text\n"
    "- second item\n"
    "  - nested one\n"
    "  - nested two with `code`\n"
    "- third item\n\n"
    + "".join(f"{n}. step {n}\n" for n in range(1, 13))  # 9 -> 10 widens every number
    + "\nA closing paragraph.\n"
)


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class Twin(App):
    """A streamed ReplyMarkdown over a plain Markdown given the whole text at once."""

    CSS = "Markdown { height: 50%; }"

    def compose(self) -> ComposeResult:
        yield ReplyMarkdown(id="streamed")
        yield Markdown(DOCUMENT, id="whole")


async def test_streamed_lists_and_headings_grow_in_place_and_match_a_whole_render():
    app = Twin()
    async with app.run_test(size=(60, 60)) as pilot:
        streamed = app.query_one("#streamed", ReplyMarkdown)
        stream = Markdown.get_stream(streamed)
        first_rows = first_heading = None
        for piece in pieces(DOCUMENT):
            await stream.write(piece)
            await pilot.pause()
            if first_heading is None and streamed.query("MarkdownH2"):
                first_heading = streamed.query_one("MarkdownH2")
            bullets = streamed.query(GrowingBulletList)
            if first_rows is None and bullets and len(bullets.first().query_children(Horizontal)) >= 2:
                first_rows = list(bullets.first().query_children(Horizontal))
        await stream.stop()
        await pilot.pause()

        assert first_rows, "the bullet list never had two rows"
        assert streamed.query_one("MarkdownH2") is first_heading  # grew from "## A he" in place
        assert first_heading._content.plain == "A heading that streams in"
        now = list(app.query_one(GrowingBulletList).query_children(Horizontal))
        assert now[:2] == first_rows  # the same row widgets, updated, not rebuilt
        assert len(now) == 3
        ordered = app.query_one(GrowingOrderedList)
        streamed_lines = [widget.render().plain for widget in streamed.query("MarkdownBullet")]
        whole_lines = [widget.render().plain for widget in app.query_one("#whole").query("MarkdownBullet")]
        assert streamed_lines == whole_lines  # bullets, and numbers padded to one width
        assert "  9. " in streamed_lines and " 12. " in streamed_lines
        assert len(ordered.query_children(Horizontal)) == 12
        whole = app.query_one("#whole")
        assert texts(streamed) == texts(whole) and len(texts(whole)) == 19  # heading, 5 items, 12 steps, closing


def texts(markdown: Markdown) -> list[str]:
    return [block._content.plain for block in markdown.query("MarkdownParagraph, MarkdownH2")]
