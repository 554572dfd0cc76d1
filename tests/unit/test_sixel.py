"""The Sixel encoder: decoded again, its output gives back every pixel of the quantized picture."""

from __future__ import annotations

import random
import re

import pytest
from PIL import Image

from g2d_tui.services.sixel import image_to_sixels


def decode(sequence: str) -> tuple[tuple[int, int], dict[tuple[int, int], tuple[int, int, int]]]:
    """Size and pixels (colours in percent) that a terminal draws from ``sequence``."""
    assert sequence.startswith("\x1bP") and sequence.endswith("\x1b\\")
    body = sequence[sequence.index("q") + 1:-2]
    raster = re.match(r'"1;1;(\d+);(\d+)', body)
    size = (int(raster[1]), int(raster[2]))
    registers: dict[int, tuple[int, int, int]] = {}
    pixels: dict[tuple[int, int], tuple[int, int, int]] = {}
    colour = x = band = 0
    for token in re.finditer(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|!(\d+)([?-~])|([?-~])|(\$)|(-)", body[raster.end():]):
        number, red, green, blue, count, repeated, single, carriage, newline = token.groups()
        if number is not None:
            colour = int(number)
            if red is not None:
                registers[colour] = (int(red), int(green), int(blue))
        elif carriage:
            x = 0
        elif newline:
            x, band = 0, band + 1
        else:
            times, bits = (int(count), ord(repeated) - 63) if count else (1, ord(single) - 63)
            for column in range(x, x + times):
                for row in range(6):
                    if bits >> row & 1:
                        pixels[(column, band * 6 + row)] = registers[colour]
            x += times
    return size, pixels


def quantized(image: Image.Image) -> dict[tuple[int, int], tuple[int, int, int]]:
    """What the picture looks like in the 256 colours Sixel gets, in percent."""
    paletted = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    palette = paletted.getpalette()
    width, height = paletted.size
    data = paletted.tobytes()
    percent = [(value * 100 + 127) // 255 for value in range(256)]
    return {
        (x, y): tuple(percent[value] for value in palette[data[y * width + x] * 3:data[y * width + x] * 3 + 3])
        for y in range(height) for x in range(width)
    }


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    """Every band has well over a hundred colours: the per-pixel path."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", (width, height), bytes(rng.randrange(256) for _ in range(width * height * 3)))


def stripes(width: int, height: int) -> Image.Image:
    """A few colours per band, in spans with gaps: the per-colour path and shared lines."""
    image = Image.new("RGB", (width, height), (250, 250, 250))
    for x in range(0, width, 7):
        image.paste((200, 30, 30), (x, 0, x + 2, height))
    image.paste((20, 40, 220), (width // 3, height // 4, width // 2, height // 2))
    return image


@pytest.mark.parametrize(
    "image",
    [
        noise(64, 36),
        noise(33, 13, seed=2),  # the last band is one row high
        stripes(90, 25),
        Image.linear_gradient("L").resize((40, 30)).convert("RGB"),
        Image.new("RGB", (12, 7), (0, 128, 255)),  # one colour: each band is one run
        Image.new("RGB", (1, 1), (255, 255, 255)),
    ],
    ids=["noise", "noise-odd-height", "stripes", "gradient", "flat", "one-pixel"],
)
def test_every_pixel_comes_back_in_its_quantized_colour(image):
    size, pixels = decode(image_to_sixels(image))
    assert size == image.size
    assert pixels == quantized(image)


def test_transparent_pixels_are_laid_over_the_background():
    image = Image.new("RGBA", (8, 6), (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 4, 6))
    _, pixels = decode(image_to_sixels(image, background=(0, 0, 255)))
    assert pixels[(0, 0)] == (0, 0, 100) and pixels[(7, 5)] == (100, 0, 0)


def test_runs_are_counted_and_spans_that_do_not_overlap_share_a_line():
    image = Image.new("RGB", (300, 6), (250, 250, 250))
    for row in (1, 3):
        image.paste((200, 30, 30), (0, row, 150, row + 1))  # red on the left half
        image.paste((20, 40, 220), (150, row, 300, row + 1))  # blue on the right half
    sequence = image_to_sixels(image)
    pixels_part = sequence.split("q", 1)[1]
    # Runs of empty or full columns are counted: none of 4 or more is left written out.
    assert "!150" in pixels_part and not re.search(r"\?{4}|~{4}", pixels_part)
    # White is painted solid across the band, then red and blue over it, on one shared line.
    assert sequence.count("$") == 1
    assert decode(sequence)[1] == quantized(image)


@pytest.mark.parametrize("length", [3, 4, 256, 257, 3000])
def test_runs_of_any_length_are_counted(length):
    """Runs up to 256 columns take their code from a table, longer ones have it written on
    the spot: the same ``!N?`` / ``!N~``; runs under 4 stay as they are."""
    from g2d_tui.services.sixel import _counted_runs

    data = b"#1" + b"@" + b"?" * length + b"A" + b"~" * length + b"-"
    expected = b"#1@" + (b"!%d?" % length if length >= 4 else b"???") + b"A" + (b"!%d~" % length if length >= 4 else b"~~~") + b"-"
    assert _counted_runs(data) == expected


def test_a_wide_picture_with_long_runs_decodes_to_its_pixels():
    image = Image.new("RGB", (700, 12), (250, 250, 250))
    image.paste((20, 40, 220), (0, 2, 700, 3))  # one row, the full width: a 700-column run
    image.paste((200, 30, 30), (650, 8, 700, 9))  # far right: a 650-column gap before it
    sequence = image_to_sixels(image)
    assert "!700" in sequence and "!650?" in sequence
    assert decode(sequence)[1] == quantized(image)
