"""Sixel encoding in pure Python, about twice as fast as textual-image's without numpy.

A Sixel picture is drawn in bands six pixels high. For each colour in a band the terminal
gets one line of characters, each carrying that colour's bits for a column of six pixels.
The costs are per pixel (sorting pixels into colour planes) and per colour and band (one
line each). The planes are built with ``bytes.translate`` and integer additions when a band
has few colours, and with one plain loop over its pixels when it has many; each line is a
slice and a ``translate``, and runs are counted in one pass at the end. Lines whose spans
do not overlap share a pass, and the first pass paints its spans solid (``!N~``): the
passes after it paint their own pixels over it, and runs of one character cost a few bytes.

CPU only, no Textual: for a thread.
"""

from __future__ import annotations

import heapq
import re
from typing import Any

BAND_HEIGHT = 6
COLOURS = 256
_FEW_COLOURS = 32
"""Up to this many colours in a band, planes are built per colour (translate, int sums);
above, one pass over the pixels is cheaper."""

_SIXEL_OFFSET = 0x3F  # "?": no pixel set
_TO_SIXEL = bytes(range(_SIXEL_OFFSET, _SIXEL_OFFSET + 64)) + bytes(COLOURS - 64)
# Spelled out, not ``\?{4,}``: the regular expression engine then scans twice as fast.
_RUNS = re.compile(rb"(\?\?\?\?+|~~~~+)")
_RUN_CODES = {run: b"!%d%c" % (len(run), run[0]) for count in range(4, 257) for run in (b"?" * count, b"~" * count)}
"""The ``!N?`` / ``!N~`` of each run up to 256 columns long (~120 KB), looked up by the run itself."""
_PERCENT = [(value * 100 + 127) // 255 for value in range(256)]
# Plane tables: colour c at band row r becomes the bit 1 << r, every other colour 0.
_ROW_BIT_TABLES: list[list[bytes]] | None = None


def image_to_sixels(image: Any, background: tuple[int, int, int] = (0, 0, 0)) -> str:
    """The whole Sixel sequence (DCS ... ST) for a Pillow ``image``, in up to 256 colours.

    Transparent pixels are laid over ``background``.
    """
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        layer = Image.new("RGBA", image.size, (*background, 255))
        image = Image.alpha_composite(layer, image.convert("RGBA"))
    paletted = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.FASTOCTREE)
    width, height = paletted.size
    palette = paletted.getpalette() or []
    used = [index for index, count in enumerate(paletted.histogram()[:COLOURS]) if count]
    parts = [b'\x1bP0;0;0q"1;1;%d;%d' % (width, height)]
    parts.extend(
        b"#%d;2;%d;%d;%d" % (index, *(_PERCENT[value] for value in palette[index * 3:index * 3 + 3]))
        for index in used
    )
    pixels = paletted.tobytes()
    bands = [
        _band(pixels[top * width:(top + rows) * width], width, rows)
        for top in range(0, height, BAND_HEIGHT)
        for rows in (min(BAND_HEIGHT, height - top),)
    ]
    parts.append(_counted_runs(b"".join(bands)))
    parts.append(b"\x1b\\")
    return b"".join(parts).decode("ascii")


def _band(band: bytes, width: int, rows: int) -> bytes:
    """The lines of one band of ``rows`` rows, ending with the next-band character."""
    colours = set(band)
    full = _SIXEL_OFFSET + (1 << rows) - 1
    if len(colours) == 1:
        return b"#%d%s-" % (colours.pop(), _repeat(width, full))
    planes = _planes_by_colour(band, width, rows, colours) if len(colours) <= _FEW_COLOURS \
        else _planes_by_pixel(band, width, rows, colours)
    spans = []
    for colour, plane in planes.items():
        spans.append((width - len(plane.lstrip(b"\0")), len(plane.rstrip(b"\0")), colour))
    spans.sort()
    # Each span goes on the line that is free soonest, or on a new line: as few lines as
    # spans overlap at one column (interval partitioning).
    lines: list[list[bytes]] = []
    free_at: list[tuple[int, int]] = []  # heap of (end of the line so far, line number)
    for start, end, colour in spans:
        if free_at and free_at[0][0] <= start:
            cursor, number = heapq.heappop(free_at)
        else:
            cursor, number = 0, len(lines)
            lines.append([])
        line = lines[number]
        line.append(b"#%d" % colour)
        if start > cursor:
            line.append(_repeat(start - cursor, _SIXEL_OFFSET))
        if number == 0:  # the lines after it paint every other colour of this span over it
            line.append(_repeat(end - start, full))
        else:
            line.append(planes[colour][start:end].translate(_TO_SIXEL))  # runs: see _counted_runs
        heapq.heappush(free_at, (end, number))
    return b"$".join(b"".join(line) for line in lines) + b"-"


def _planes_by_colour(band: bytes, width: int, rows: int, colours: set[int]) -> dict[int, bytes]:
    tables = _row_bit_tables()
    row_bytes = [band[row * width:(row + 1) * width] for row in range(rows)]
    planes = {}
    for colour in colours:
        by_row = tables[colour]
        total = 0
        for row, data in enumerate(row_bytes):  # bits of different rows never carry into each other
            total += int.from_bytes(data.translate(by_row[row]), "little")
        planes[colour] = total.to_bytes(width, "little")
    return planes


def _planes_by_pixel(band: bytes, width: int, rows: int, colours: set[int]) -> dict[int, bytearray]:
    planes: list[Any] = [None] * COLOURS
    for colour in colours:
        planes[colour] = bytearray(width)
    for row in range(rows):
        bit = 1 << row
        for x, colour in enumerate(band[row * width:(row + 1) * width]):
            planes[colour][x] |= bit
    return {colour: planes[colour] for colour in colours}


def _row_bit_tables() -> list[list[bytes]]:
    global _ROW_BIT_TABLES
    if _ROW_BIT_TABLES is None:
        zeros = bytes(COLOURS)
        _ROW_BIT_TABLES = [
            [zeros[:colour] + bytes((1 << row,)) + zeros[colour + 1:] for row in range(BAND_HEIGHT)]
            for colour in range(COLOURS)
        ]
    return _ROW_BIT_TABLES


def _repeat(count: int, character: int) -> bytes:
    return b"!%d%c" % (count, character) if count > 3 else bytes((character,)) * count


def _counted_runs(data: bytes) -> bytes:
    """``data`` with its runs of empty (``?``) or full (``~``) columns written as ``!N?`` / ``!N~``.

    Nearly all runs are of these two (gaps between a colour's pixels, solid areas), and
    one ``split`` finds them in a third of the time a regular expression for runs of any
    character took, with its call per run; the other runs stay as they are (~1% more bytes).
    The rest of the sequence (colour numbers, counts, ``$``, ``-``) holds neither character.
    """
    parts = _RUNS.split(data)
    parts[1::2] = [_RUN_CODES.get(run) or b"!%d%c" % (len(run), run[0]) for run in parts[1::2]]
    return b"".join(parts)
