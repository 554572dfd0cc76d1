"""The browser test's screen model reads Textual-style output correctly."""

from __future__ import annotations

from tests.web.terminal_screen import TerminalScreen


def test_positioned_styled_runs_make_lines():
    screen = TerminalScreen()
    screen.feed(b"\x1b[?1049h\x1b[2J\x1b[1;1H\x1b[1mHello\x1b[0m \x1b[38;2;1;2;3mworld\x1b[0m\x1b[3;5Hthird")
    assert screen.lines() == ["Hello world", "", "    third"]


def test_sequences_and_characters_cut_between_frames():
    screen = TerminalScreen()
    data = "\x1b[2;3H▀▀ café\x1b]0;title\x07!".encode()
    for index in range(len(data)):  # one byte per frame
        screen.feed(data[index:index + 1])
    assert screen.lines() == ["", "  ▀▀ café!"]


def test_overwrites_wide_characters_and_clears():
    screen = TerminalScreen()
    screen.feed("\x1b[1;1Habcdef\x1b[1;3HXY\x1b[2;1H日本x".encode())
    assert screen.lines() == ["abXYef", "日本x"]
    screen.feed(b"\x1b[1;4H\x1b[K")
    assert screen.lines()[0] == "abX"
    screen.feed(b"\x1b[2J")
    assert screen.text() == ""
