"""Text a hostile (or broken) server sends, shared by the fake servers.

Terminal control sequences (an OSC 52 clipboard write, a title change, a screen wipe,
a C1 CSI) and Rich/Textual markup (a closing tag with no opening one raises
MarkupError; styles and links restyle what follows). Whatever reaches the app from these
must come out of the services clean (``sanitize.clean``/``clean_line``) and be shown as
text, never obeyed or parsed.
"""

from __future__ import annotations

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
"""Writes "echo pwned" to the clipboard on terminals that allow it."""
OSC_TITLE = "\x1b]0;pwned title\x07"
CLEAR = "\x1b[2J\x1b[3J"
"""Clears the screen and the scrollback."""
C1_CSI = "\x9b2J"
"""The 8-bit CSI: a screen wipe on terminals that read C1 controls."""
BELL_BACKSPACE = "\x07\x08\x08\x08"
CONTROLS = (OSC52, OSC_TITLE, CLEAR, C1_CSI, BELL_BACKSPACE, "\r\x1b[K", "\x00", "\x7f", "\x85")

MARKUP = ("[/x]", "[bold red]", "[link=https://evil.example/]click[/link]", "[/]", "[@click=app.quit]x[/]")

LINE = "pwn " + "".join(CONTROLS) + " " + " ".join(MARKUP) + " end"
"""One line holding every control sequence and markup above."""

MARKDOWN = (
    "# Title " + OSC_TITLE + "\n\n"
    "Some text " + OSC52 + " and [bold red]markup[/] and [/x] " + C1_CSI + "\n\n"
    "- item " + CLEAR + "\n"
    "- [link=https://evil.example/]link[/link]\n\n"
    "```python\nprint('" + OSC52 + "')  # [/x] " + CLEAR + "\n```\n\n"
    "`inline " + OSC_TITLE + "` done\r\nlone\rreturn"
)
"""A reply: controls and markup in headings, paragraphs, lists, a code block, inline code."""

FINISH_REASON = "STOP" + OSC52 + "[/x]"
"""Not one of the API's enum values."""


def contains_raw_control(text: str) -> bool:
    """True if ``text`` still holds a character the sanitiser would replace."""
    return any(ord(char) < 0x20 and char not in "\n\t" or 0x7F <= ord(char) <= 0x9F for char in text)


def split_sequences(text: str, size: int = 5) -> list[str]:
    """``text`` in ``size``-character pieces, so escape sequences are cut across chunks."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [text]
