"""The live reply Markdown: lists and headings grow in place, and end up as Textual draws them."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.strip import Strip
from textual.widgets import Markdown

from g2d_tui.tuning.growing_markdown import GrowingBulletList, GrowingOrderedList
from g2d_tui.widgets.reply_markdown import ReplyMarkdown, reply_markdown_class

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

# A list of one-paragraph items (drawn by one widget) that gains a nested list (Textual's rows).
TURNS_NESTED = (
    "- one item whose text is long enough to wrap beside its bullet, *twice* even, at this width\n"
    "- two with `code` and a [link](https://example.com)\n"
    "  - nested now\n"
    "- three\n\nThe end.\n"
)


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class Twin(App):
    """A streamed ReplyMarkdown over a plain Markdown given the whole text at once."""

    CSS = "Markdown { height: 30; }"

    def __init__(self, document: str) -> None:
        super().__init__()
        self.document = document

    def compose(self) -> ComposeResult:
        yield reply_markdown_class()(id="streamed")
        yield Markdown(self.document, id="whole")


async def stream_into(app: Twin, pilot, on_piece=None) -> ReplyMarkdown:
    streamed = app.query_one("#streamed", ReplyMarkdown)
    stream = Markdown.get_stream(streamed)
    for piece in pieces(app.document):
        await stream.write(piece)
        await pilot.pause()
        if on_piece is not None:
            on_piece(streamed)
    await stream.stop()
    await pilot.pause()
    return streamed


def cells(strip: Strip) -> list[tuple[str, object]]:
    """Each cell's character and style; a blank cell's foreground colour does not show."""
    return [
        (segment.text, segment.style.bgcolor if not segment.text.strip() else segment.style)
        for part in strip.divide(range(1, strip.cell_length + 1))
        for segment in part
    ]


def assert_drawn_alike(app: Twin) -> None:
    lines = app.screen._compositor.render_strips()
    streamed, whole = lines[:30], lines[30:60]
    assert "".join(line.text for line in whole).strip(), "nothing drawn"
    for y, (mine, theirs) in enumerate(zip(streamed, whole)):
        assert cells(mine) == cells(theirs), f"line {y}: {mine.text!r} vs {theirs.text!r}"


async def test_streamed_lists_and_headings_grow_in_place_and_match_a_whole_render():
    app = Twin(DOCUMENT)
    seen: dict[str, object] = {}

    def note_first_widgets(streamed: ReplyMarkdown) -> None:
        if "heading" not in seen and streamed.query("MarkdownH2"):
            seen["heading"] = streamed.query_one("MarkdownH2")
        bullets = streamed.query(GrowingBulletList)
        if "rows" not in seen and bullets and len(bullets.first().query_children(Horizontal)) >= 2:
            seen["rows"] = list(bullets.first().query_children(Horizontal))
        if "ordered" not in seen and streamed.query(GrowingOrderedList):
            seen["ordered"] = streamed.query_one(GrowingOrderedList)

    async with app.run_test(size=(60, 60)) as pilot:
        streamed = await stream_into(app, pilot, note_first_widgets)

        assert streamed.query_one("MarkdownH2") is seen["heading"]  # grew from "## A he" in place
        assert seen["heading"]._content.plain == "A heading that streams in"
        # The nested bullet list is Textual's rows: the same row widgets, updated, not rebuilt.
        now = list(app.query_one(GrowingBulletList).query_children(Horizontal))
        assert now[:2] == seen["rows"] and len(now) == 3
        # The numbered list has one-paragraph items: one widget from "1. " to step 12.
        ordered = app.query_one(GrowingOrderedList)
        assert ordered is seen["ordered"] and not ordered.children
        assert [marker.plain for marker, _ in ordered._items][8:10] == ["  9. ", " 10. "]
        assert_drawn_alike(app)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_a_list_drawn_as_one_widget_looks_like_textuals_and_turns_into_rows_when_it_nests(theme):
    app = Twin(TURNS_NESTED)
    compact_before_nesting: list[bool] = []

    def note(streamed: ReplyMarkdown) -> None:
        lists = streamed.query(GrowingBulletList)
        if lists and "  -" not in streamed.source:
            compact_before_nesting.append(lists.first()._items is not None)

    async with app.run_test(size=(60, 60)) as pilot:
        app.theme = theme
        streamed = await stream_into(app, pilot, note)
        assert compact_before_nesting and all(compact_before_nesting)
        outer = streamed.query(GrowingBulletList).first()
        assert outer._items is None and len(outer.query_children(Horizontal)) == 3
        assert_drawn_alike(app)


async def test_code_blocks_are_never_highlighted_by_guesswork(monkeypatch):
    """A fence streams in as "```" before its language (or has none): Textual guessed one, which
    imports every Pygments lexer the first time (~300 ms on the event loop) and tries them all."""
    import pygments.lexers

    from g2d_tui.widgets.reply_markdown import ReplyFence

    guesses = []
    real_guess = pygments.lexers.guess_lexer
    monkeypatch.setattr(pygments.lexers, "guess_lexer", lambda *args, **kwargs: guesses.append(args) or real_guess(*args, **kwargs))
    class Streamed(Twin):  # no plain Markdown beside it: that one does guess
        def compose(self) -> ComposeResult:
            yield reply_markdown_class()(id="streamed")

    document = "Intro.\n\n```python\ndef f(x):\n    return x\n```\n\nOutput:\n\n```\n$ run it\n```\n\nThe end.\n"
    app = Streamed(document)
    async with app.run_test(size=(60, 60)) as pilot:
        streamed = await stream_into(app, pilot)  # 5-character pieces: "```" comes alone, then "pytho"
        fences = streamed.query(ReplyFence)
        assert [fence.lexer for fence in fences] == ["python", ""]
        python, plain = (fence._highlighted_code for fence in fences)
        assert {span.style for span in python.spans} > {"$text"}
        assert {span.style for span in plain.spans} <= {"$text"}  # plain, as Rich draws the frozen part
        assert plain.plain.strip() == "$ run it"
    assert guesses == []
