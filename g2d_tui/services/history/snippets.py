"""Search terms from what the user typed, and short excerpts around the words that matched.

Excerpts are made here rather than with FTS5's ``snippet()``: that one scores a window
around every hit of every term in the whole turn, ~1 ms a turn for a word found all over
long replies (60 ms for a page of results); this one reads a turn up to its first match
plus a few words. Words are compared the way the index's ``unicode61 remove_diacritics``
tokenizer does: letters and digits, case and accents ignored.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from g2d_tui.services.sanitize import clean

MAX_TERMS = 16
MAX_QUERY_CHARS = 400
MIN_PREFIX = 3
"""A shorter prefix ("b*", "be*") expands to thousands of index terms: ~50 ms on 10,000
pictures against ~1 ms from three letters on. One or two letters match whole words."""
SNIPPET_WORDS = 12
WORDS_BEFORE = 4
_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_WORD = re.compile(r"(?<![^\W_])[^\W_]+")  # a whole word, also when searching from inside one
LOOK_BACK = 200
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Terms:
    """The searchable words of a query."""

    words: tuple[str, ...]
    """What the user typed, split on spaces, keeping only words with a letter or digit."""
    tokens: tuple[str, ...]
    """The same as the index sees them: folded (lower case, no accents), punctuation split off."""
    prefix: bool
    """The last token matches as a prefix (it has at least :data:`MIN_PREFIX` characters)."""

    def fts_query(self) -> str:
        """An FTS5 MATCH expression: every word quoted (never syntax), the last maybe a prefix."""
        if not self.words:
            return ""
        quoted = ['"' + word.replace('"', '""') + '"' for word in self.words]
        if self.prefix:
            quoted[-1] += "*"
        return " ".join(quoted)

    def found(self, folded: str, start: int = 0, end: int | None = None, anchor: bool = False) -> Iterator[tuple[int, int]]:
        """Spans of the query's tokens in ``folded`` text (whole words; the last token also as
        a prefix). With ``anchor``, only the longest token (usually the rarest word)."""
        if not self.tokens:
            return
        tokens = (max(self.tokens, key=len),) if anchor else self.tokens
        pattern = _pattern(tuple(sorted(set(tokens), key=len, reverse=True)))
        last = self.tokens[-1] if self.prefix else None
        for match in pattern.finditer(folded, start, len(folded) if end is None else end):
            at = match.start()
            if at and _is_word_char(folded[at - 1]):
                continue  # inside a word
            word = match[0]
            if word in tokens or (last is not None and last in tokens and word.startswith(last)):
                yield at, match.end()


@functools.lru_cache(maxsize=64)
def _pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    """Candidates: a token and the rest of its word. Starting with the literals lets the
    regex engine skip ahead fast (a word-boundary look-behind first is 25x slower); the
    boundary before is checked by :meth:`Terms.found`."""
    return re.compile("(?:" + "|".join(re.escape(token) for token in tokens) + r")[^\W_]*")


def _is_word_char(char: str) -> bool:
    return char.isalnum()


def terms(text: str) -> Terms:
    """The searchable words of what the user typed (at most :data:`MAX_TERMS`)."""
    words = tuple(word for word in text[:MAX_QUERY_CHARS].split() if _TOKEN.search(word))[:MAX_TERMS]
    tokens = tuple(fold(token) for word in words for token in _TOKEN.findall(word))
    return Terms(words, tokens, bool(tokens) and len(tokens[-1]) >= MIN_PREFIX)


def fold(word: str) -> str:
    """``word`` as the tokenizer indexes it: lower case, without accents."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def excerpt(text: str, query: Terms, words: int = SNIPPET_WORDS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About ``words`` words of ``text`` from a little before its first match, on one clean
    line, and the ``(start, end)`` spans of the matching words in it. ``…`` marks a cut."""
    folded = text.translate(_FOLD)  # same length as text: offsets carry over
    first = next(query.found(folded, anchor=True), None) or next(query.found(folded), None)
    start = 0
    if first is not None:
        before = list(_WORD.finditer(text, max(0, first[0] - LOOK_BACK), first[0]))[-WORDS_BEFORE:]
        start = before[0].start() if before else first[0]
    end = start
    for _, word in zip(range(words), _WORD.finditer(text, start), strict=False):
        end = word.end()
    if end == start:  # no word at all (symbols, emoji): the start of the text
        return _one_line([clean(text[:LOOK_BACK])], [])
    pieces, marked, cursor = ["…"] if start > 0 else [], [], start
    for found_start, found_end in query.found(folded, start, end):
        pieces.append(text[cursor:found_start])
        marked.append(len(pieces))
        pieces.append(text[found_start:found_end])
        cursor = found_end
    pieces.append(text[cursor:end])
    if text[end:].strip():
        pieces.append("…")
    return _one_line([clean(piece) for piece in pieces], marked)


class _FoldTable(dict):
    """``str.translate`` table folding each character the way :func:`fold` does, one
    character for one (so offsets in the folded text are offsets in the original)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = fold(char)
        result = folded if len(folded) == 1 else (char.lower() if len(char.lower()) == 1 else char)
        self[code] = result
        return result


_FOLD = _FoldTable()


def _one_line(pieces: list[str], marked: list[int]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Join ``pieces`` with whitespace runs collapsed, and the spans of the ``marked`` ones."""
    line, spans = "", []
    for index, piece in enumerate(pieces):
        piece = _SPACES.sub(" ", piece)
        if not line:
            piece = piece.lstrip()
        if index in marked and piece:
            spans.append((len(line), len(line) + len(piece)))
        line += piece
    stripped = line.rstrip()
    return stripped, tuple(span for span in spans if span[1] <= len(stripped))
