"""Pieces of the subcommands' output: Markdown blocks, plain replies, status line."""

from __future__ import annotations

import io

from g2d_tui.cli.output import MarkdownBlocks, PlainReply, StatusLine
from tests.cli.helpers import TerminalText


def feed_all(pieces: list[str]) -> tuple[list[str], str]:
    blocks, done = MarkdownBlocks(), []
    for piece in pieces:
        finished = blocks.feed(piece)
        if finished:
            done.append(finished)
    return done, blocks.pending


def test_a_block_is_done_once_the_next_one_starts():
    done, pending = feed_all(["# Title\n", "\nPara", "graph one.\n\n", "Second"])
    assert done == ["# Title\n\n", "Paragraph one.\n\n"]
    assert pending == "Second"


def test_never_split_inside_a_code_fence():
    text = "Intro\n\n```python\na = 1\n\nb = 2\n```\n\nAfter"
    done, pending = feed_all(list(text))  # one character at a time
    assert done == ["Intro\n\n", "```python\na = 1\n\nb = 2\n```\n\n"]
    assert pending == "After"


def test_indented_continuations_stay_with_their_list():
    done, pending = feed_all(["- one\n\n  still one\n\n- two\n"])
    assert done == ["- one\n\n  still one\n\n"]
    assert pending == "- two\n"


def test_plain_reply_ends_with_one_newline():
    stream = io.StringIO()
    reply = PlainReply(stream)
    for piece in ("one", " two\n"):
        reply.write(piece)
    reply.close()
    assert stream.getvalue() == "one two\n"


def test_status_line_only_on_a_terminal():
    quiet, shown = io.StringIO(), TerminalText()
    for stream in (quiet, shown):
        status = StatusLine(stream)
        status.show("working…")
        status.note("Prompt: x")
        status.clear()
    assert quiet.getvalue() == ""
    assert shown.getvalue() == "\r\x1b[2Kworking…\r\x1b[2KPrompt: x\n"
