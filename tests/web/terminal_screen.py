"""Just enough of a terminal to read what a Textual app shows, from its output bytes.

The browser draws textual-serve's terminal on a canvas, so the page has no text to read;
the test instead follows the bytes the app sends to it (the websocket frames) through
this screen. Textual positions every line it paints (``CSI row;col H``) and styles runs
with SGR, which is all that needs following here; other sequences are skipped.
"""

from __future__ import annotations

import codecs
import re

from rich.cells import get_character_cell_size

_TOKEN = re.compile(
    r"\x1b\[(?P<csi>[0-?]*[ -/]*[@-~])"  # CSI: parameters, intermediates, final byte
    r"|\x1b\](?:[^\x07\x1b]*)(?:\x07|\x1b\\)"  # OSC … BEL or ST
    r"|\x1b[P_^X][^\x1b]*\x1b\\"  # DCS, APC, PM, SOS … ST
    r"|\x1b[^\[\]P_^X]"  # two-character escapes
    r"|(?P<control>[\x00-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f\x1b]+)"
)
_INCOMPLETE = re.compile(r"\x1b(\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[P_^X][^\x1b]*\x1b?)?\Z")


class TerminalScreen:
    """Cells written so far, by (row, column), both from 0."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], str] = {}
        self.row = self.column = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest = ""

    def feed(self, data: bytes) -> None:
        text = self._rest + self._decoder.decode(data)
        incomplete = _INCOMPLETE.search(text)
        self._rest, text = (text[incomplete.start() :], text[: incomplete.start()]) if incomplete else ("", text)
        for token in _TOKEN.finditer(text):
            if token["text"] is not None:
                self._write(token["text"])
            elif token["csi"] is not None:
                self._csi(token["csi"])
            elif token["control"] is not None:
                self._control(token["control"])

    def _write(self, text: str) -> None:
        for character in text:
            width = get_character_cell_size(character)
            if width == 0:
                continue
            self.cells[(self.row, self.column)] = character
            if width == 2:
                self.cells[(self.row, self.column + 1)] = ""
            self.column += width

    def _control(self, character: str) -> None:
        if character == "\r":
            self.column = 0
        elif character == "\n":
            self.row += 1
        elif character == "\b":
            self.column = max(0, self.column - 1)

    def _csi(self, sequence: str) -> None:
        final, body = sequence[-1], sequence[:-1]
        if body.startswith(("?", ">", "<", "=")):
            return  # private modes (cursor, mouse, alternate screen…)
        numbers = [int(part) if part.isdigit() else 0 for part in body.split(";")] if body else []

        def number(index: int, default: int = 1) -> int:
            return numbers[index] if len(numbers) > index and numbers[index] else default

        if final in "Hf":
            self.row, self.column = number(0) - 1, number(1) - 1
        elif final == "A":
            self.row = max(0, self.row - number(0))
        elif final == "B":
            self.row += number(0)
        elif final == "C":
            self.column += number(0)
        elif final == "D":
            self.column = max(0, self.column - number(0))
        elif final == "G":
            self.column = number(0) - 1
        elif final == "d":
            self.row = number(0) - 1
        elif final == "J" and number(0, 0) == 2:
            self.cells.clear()
        elif final == "K":
            mode = number(0, 0)
            for row, column in list(self.cells):
                if row == self.row and (mode == 2 or (mode == 0) == (column >= self.column)):
                    del self.cells[(row, column)]

    def lines(self) -> list[str]:
        """The screen as text, one string per row (empty cells as spaces)."""
        if not self.cells:
            return []
        rows = max(row for row, _ in self.cells) + 1
        grid = [[" "] * (max((c for r, c in self.cells if r == row), default=-1) + 1) for row in range(rows)]
        for (row, column), character in self.cells.items():
            grid[row][column] = character
        return ["".join(line).rstrip() for line in grid]

    def text(self) -> str:
        return "\n".join(self.lines())
