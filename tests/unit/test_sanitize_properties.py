"""Properties of the sanitiser, for any text a server or a file could send."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from g2d_tui.services.sanitize import clean, clean_line, is_clean

PROPERTIES = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Every code point, lone surrogates included (hypothesis leaves them out of text() by
# default, but json.loads("\"\\ud800\"") makes one), with controls and line breaks often.
_ANY_CHAR = st.characters(codec=None, exclude_categories=())
_NASTY = st.sampled_from(
    ["\x1b", "\x07", "\x9b", "\x9d", "\x85", "\r", "\r\n", "\n", "\t", "\x7f", "\x00", "\u2028", "\u2029",
     "\x0b", "\x0c", "\ud800", "\udfff", "\x1b]52;c;aGk=\x07", "\x1b[2J\x1b[3J", "[/x]", "[bold red]"]
)
hostile_text = st.lists(st.one_of(_ANY_CHAR, _NASTY), max_size=60).map("".join)
printable_text = st.text(st.characters(codec="utf-8").filter(str.isprintable), max_size=60)


def _is_c0_other_than_newline_tab(char: str) -> bool:
    return ord(char) < 0x20 and char not in "\n\t"


def _assert_terminal_safe(text: str) -> None:
    for char in text:
        assert not _is_c0_other_than_newline_tab(char), repr(char)
        assert char != "\x7f"
        assert not 0x80 <= ord(char) <= 0x9F, repr(char)  # C1
        assert unicodedata.category(char) != "Cs", repr(char)  # lone surrogate
        assert char not in "\u2028\u2029"
    text.encode("utf-8")  # what the terminal gets: never UnicodeEncodeError


@PROPERTIES
@given(hostile_text)
@example("\x1b]52;c;ZWNobyBwd25lZA==\x07")
@example("a\rb")
@example("\ud83d")
def test_clean_leaves_no_control_but_newline_and_tab(text):
    cleaned = clean(text)
    _assert_terminal_safe(cleaned)
    assert "\r" not in cleaned  # a lone \r would move the cursor back over the line
    assert is_clean(cleaned)


@PROPERTIES
@given(hostile_text)
def test_clean_is_idempotent(text):
    assert clean(clean(text)) == clean(text)


@PROPERTIES
@given(printable_text)
def test_printable_text_is_unchanged(text):
    assert clean(text) == text
    assert is_clean(text)


@PROPERTIES
@given(st.text(st.characters(codec="utf-8").filter(lambda c: c.isprintable() or c in "\n\t"), max_size=60))
def test_newlines_and_tabs_stay_in_multiline_text(text):
    assert clean(text) == text


@PROPERTIES
@given(hostile_text)
def test_is_clean_agrees_with_clean(text):
    assert is_clean(text) == (clean(text) == text)


@PROPERTIES
@given(hostile_text, st.none() | st.integers(min_value=0, max_value=80))
@example("x" * 10, 0)
@example("  spaced  ", 1)
def test_clean_line_is_one_line_within_the_limit(text, limit):
    line = clean_line(text, limit)
    _assert_terminal_safe(line)
    assert "\n" not in line and "\t" not in line
    assert line == line.strip()
    if limit is not None:
        assert len(line) <= limit
    assert clean_line(line, limit) == line  # idempotent too


@PROPERTIES
@given(st.text(st.characters(codec="utf-8").filter(lambda c: c.isprintable() and not c.isspace()), min_size=1, max_size=40))
def test_clean_line_keeps_a_printable_word(word):
    assert clean_line(word) == word
    assert clean_line(word, len(word)) == word


def test_controls_are_shown_not_dropped():
    assert clean("\x1b]0;title\x07") == "\u241b]0;title\u2407"
    assert clean("\x9b2J") == "\ufffd2J"
    assert clean("a\r\nb\rc") == "a\nb\nc"


def test_non_strings_become_text():
    assert clean(None) == ""
    assert clean(42) == "42"
    assert clean_line(b"\x1b") == "b'\\x1b'"
