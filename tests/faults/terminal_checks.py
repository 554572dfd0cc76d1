"""What reaches the terminal: Textual's own drawing, and nothing that outside text carried.

:func:`terminal_problems` reads a stream as a terminal would (decoded UTF-8, so the
bytes of "␛" are not mistaken for a C1 control), splits it into escape sequences and
text, and lists what Textual never writes for drawing: an OSC other than a hyperlink
(OSC 8), a mouse pointer shape (OSC 22 with a pointer's name) or the app's own
clipboard write (OSC 52, only where the test expects one), a
screen or scrollback clear, a C1 control, BEL or another C0 control in the text.

:func:`rendered_terminal` is what Textual would write for the whole current screen
(toasts and the screens under a modal included), for Pilot tests, whose headless driver
writes nothing.
"""

from __future__ import annotations

import base64
import re

SEQUENCE = re.compile(
    r"""
      \x1b\[[0-?]*[\x20-/]*[@-~]          # CSI: cursor, colours, modes, queries
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)   # OSC ... BEL or ST
    | \x1b[PX^_].*?\x1b\\                 # DCS, SOS, PM, APC (Sixel, Kitty graphics)
    | \x1b[\x20-/]*[0-~]                  # ESC ( B, ESC 7, ESC =, ...
    """,
    re.VERBOSE | re.DOTALL,
)
CLEARS = re.compile(r"\x1b\[[0-9;]*[23]J")
"""Erase the whole screen (2J) or the scrollback (3J): Textual's full-screen driver never does."""
TEXT_CONTROLS_OK = "\n\r\t\b"
POINTER_SHAPE = re.compile(r"22;[a-z-]+")
"""OSC 22: the mouse pointer's shape, by name (Textual sets it as the pointer moves)."""


def terminal_problems(stream: bytes | str, *, clipboard: bool = False) -> list[str]:
    """What in ``stream`` is not Textual's own drawing (empty: nothing).

    Args:
        clipboard: OSC 52 clipboard writes are expected (the test pressed ctrl+y); check
            their content with :func:`clipboard_writes`.
    """
    text = stream.decode("utf-8", "replace") if isinstance(stream, bytes) else stream
    found: list[str] = []
    for match in SEQUENCE.finditer(text):
        sequence = match[0]
        if sequence.startswith("\x1b]"):
            body = sequence[2:]
            if body.startswith("8;") or POINTER_SHAPE.fullmatch(body[:-1].rstrip("\x1b")) or (clipboard and body.startswith("52;")):
                continue
            found.append(f"OSC {sequence[:40]!r}")
        elif CLEARS.fullmatch(sequence):
            found.append(f"clear {sequence!r}")
    rest = SEQUENCE.sub("", text)
    for position, char in enumerate(rest):
        code = ord(char)
        if (code < 0x20 and char not in TEXT_CONTROLS_OK) or 0x7F <= code <= 0x9F:
            found.append(f"control {char!r} near {rest[max(0, position - 20):position + 20]!r}")
    return found


def clipboard_writes(stream: bytes | str) -> list[str]:
    """The texts OSC 52 sequences in ``stream`` put on the clipboard, decoded."""
    text = stream.decode("utf-8", "replace") if isinstance(stream, bytes) else stream
    return [
        base64.b64decode(payload).decode("utf-8")
        for payload in re.findall(r"\x1b\]52;c;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)", text)
    ]


def rendered_terminal(app) -> str:
    """What Textual's driver would be sent to draw the current screen from scratch."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return update.render_segments(app.console) if update is not None else ""


def visible_text(stream: str) -> str:
    """``stream`` without its escape sequences (what the cells would hold, in drawing order)."""
    return SEQUENCE.sub("", stream)
