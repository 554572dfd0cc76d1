"""Frozen Markdown rendered in slices on the event loop: same lines as one render, and it yields."""

from __future__ import annotations

import asyncio

from g2d_tui.widgets import markdown_lines
from g2d_tui.widgets.markdown_lines import markdown_pieces, render_markdown_lines, render_markdown_slices

VARIED = "".join(
    f"## Section {n}\n\n"
    f"A paragraph about part {n}, long enough to wrap across a few lines of the terminal "
    f"once it is rendered at forty cells wide.\n\n"
    f"- a tight item\n- another item with `code`\n\n"
    f"1. first\n\n2. second, loose\n\n"
    f"- an item\n\n  that continues here\n\n"
    f"```python\ndef part_{n}():\n\n    return {n}\n```\n\n"
    f"> a quote\n\n"
    for n in range(12)
)


def test_pieces_cut_only_between_top_level_blocks():
    pieces = list(markdown_pieces(VARIED, size=200))
    assert len(pieces) > 10
    assert "".join(pieces) == VARIED
    for piece in pieces:
        assert piece.count("```") % 2 == 0  # never inside a fence
        assert not piece[0].isspace()  # never a continuation of the block before
        assert piece.endswith("\n\n")


def test_slices_give_the_lines_of_one_render():
    whole = render_markdown_lines(VARIED, 40)
    assert asyncio.run(render_markdown_slices(VARIED, 40)) == whole
    # No blank line of Rich's own above a list that opens a piece: pieces join like one render.
    assert render_markdown_lines("- a\n- b\n\n", 20)[0] != ()


def test_slices_let_the_event_loop_run(monkeypatch):
    monkeypatch.setattr(markdown_lines, "RENDER_SLICE", 0.0)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> list:
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        lines = await render_markdown_slices(VARIED, 40)
        task.cancel()
        return [ticks - before, lines]

    between, lines = asyncio.run(main())
    pieces = len(list(markdown_pieces(VARIED)))
    assert pieces > 1
    assert between >= len(lines) - pieces  # the loop ran after every line Rich made
