"""Text from outside the app, made safe to show: no control characters reach the terminal.

Replies, prompts, model names, error bodies, file names, settings values and PNG metadata
come from servers, files and other programs. A control character in them (ESC starting an
OSC 52 clipboard write, a title change, a screen wipe; C1 controls, which some terminals
also obey) would be passed to the terminal by Textual as it is. Every piece of outside
text goes through :func:`clean` (multi-line text) or :func:`clean_line` (names, ids,
one-line messages) once, where it enters the app, so every widget downstream gets safe text.

Controls are shown, not dropped: a reply that tried something is visibly odd
(``␛]52;c;…``) instead of silently altered. No Textual here, and no markup: whether a
``[`` is markup is the widget's business (build widgets with ``Content(text)``).
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 controls except tab and newline, DEL, the C1 controls (U+0080-U+009F), and lone
surrogates (JSON's ``"\\ud800"`` decodes to one; writing it to the terminal raises
UnicodeEncodeError, which would stop the app)."""

_LINE_BREAKS = re.compile("\r\n|\r|[\u2028\u2029\x85\v\f]")
"""What a terminal or a text widget may take as the end of a line, besides ``\\n``."""


def _picture(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (ESC is ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 and surrogates: no picture exists for them


def clean(text: object) -> str:
    """``text`` as a string with line breaks normalised to ``\\n`` and every other control
    character replaced by a visible stand-in; tabs and newlines stay."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isprintable():  # the usual case: nothing to do (printable excludes \n, \t too)
        return text
    return _CONTROLS.sub(_picture, _LINE_BREAKS.sub("\n", text))


def clean_line(text: object, limit: int | None = None) -> str:
    """:func:`clean`, on one line: runs of whitespace (newlines and tabs included) become
    one space. With ``limit``, longer text is cut to ``limit`` characters ending in ``…``."""
    line = " ".join(clean(text).split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…" if limit > 0 else ""
    return line


def is_clean(text: str) -> bool:
    """True if ``text`` holds no character that :func:`clean` would replace."""
    return not _CONTROLS.search(text) and not _LINE_BREAKS.search(text)
