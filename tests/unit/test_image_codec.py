"""image_codec: validation, display copies and the A1111 PNG metadata."""

from __future__ import annotations


import pytest
from PIL import Image

from g2d_tui.services import image_codec
from g2d_tui.services.images.base import ImageError
from tests.fakes.hf_server import bomb_png, encode, gradient, png_bytes


@pytest.mark.parametrize(
    ("fmt", "mime", "options"),
    [("PNG", "image/png", {}), ("JPEG", "image/jpeg", {"quality": 90}), ("WEBP", "image/webp", {"quality": 90})],
)
def test_inspect_reports_size_and_format(fmt, mime, options):
    info = image_codec.inspect(encode(gradient(80, 50), fmt, **options))
    assert (info.width, info.height, info.format, info.mime) == (80, 50, fmt, mime)
    assert info.is_black is False


def test_inspect_detects_black_images():
    assert image_codec.inspect(encode(Image.new("RGB", (64, 64)), "PNG")).is_black is True
    assert image_codec.inspect(encode(Image.new("RGB", (64, 64), (1, 1, 1)), "JPEG")).is_black is True


def test_dark_but_not_black_image_is_not_black():
    dark = Image.new("RGB", (64, 64), (0, 0, 0))
    dark.paste((200, 200, 200), (0, 0, 64, 8))  # a bright strip: a real (if dark) picture
    assert image_codec.inspect(encode(dark, "PNG")).is_black is False
    assert image_codec.inspect(encode(Image.new("RGB", (64, 64), (20, 20, 20)), "PNG")).is_black is False


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", png_bytes(32, 32)[:-30], png_bytes(32, 32)[:100] + b"\0" * 200],
    ids=["empty", "text", "truncated", "garbage-tail"],
)
def test_inspect_rejects_corrupt_data(data):
    with pytest.raises(ImageError) as caught:
        image_codec.inspect(data)
    assert caught.value.key == "images.corrupt"


def test_inspect_rejects_a_bad_png_checksum():
    data = bytearray(png_bytes(32, 32))
    data[-20] ^= 0xFF  # inside the last IDAT: CRC no longer matches
    with pytest.raises(ImageError) as caught:
        image_codec.inspect(bytes(data))
    assert caught.value.key == "images.corrupt"


@pytest.mark.parametrize("size", [(30000, 30000), (10000, 10000)], ids=["over-2x-limit", "warning-range"])
def test_inspect_rejects_decompression_bombs(size):
    data = bomb_png(*size)
    assert len(data) < 1000
    with pytest.raises(ImageError) as caught:
        image_codec.inspect(data)
    assert caught.value.key == "images.too_large"


def test_inspect_honours_a_lowered_pixel_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageError) as caught:
        image_codec.inspect(png_bytes(64, 64))
    assert caught.value.key == "images.too_large"


@pytest.mark.parametrize(("size", "box", "expected"), [((400, 200), (100, 100), (100, 50)), ((200, 400), (100, 80), (40, 80))])
def test_display_copy_fits_the_box_and_keeps_aspect(size, box, expected):
    for fmt in ("PNG", "JPEG"):
        copy = image_codec.display_copy(encode(gradient(*size), fmt), *box)
        assert copy.mode == "RGB"
        assert copy.size == expected


def test_display_copy_never_upscales_and_flattens_alpha():
    rgba = Image.new("RGBA", (30, 20), (255, 0, 0, 0))
    copy = image_codec.display_copy(encode(rgba, "PNG"), 300, 300)
    assert copy.size == (30, 20)
    assert copy.mode == "RGB"
    assert copy.getpixel((0, 0)) == (0, 0, 0)


def test_display_copy_rejects_corrupt_data():
    with pytest.raises(ImageError) as caught:
        image_codec.display_copy(b"\x89PNG\r\n\x1a\nnope", 10, 10)
    assert caught.value.key == "images.corrupt"


def test_codec_module_does_not_import_pillow_at_import_time():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys, g2d_tui.services.image_codec, g2d_tui.services.image_store, g2d_tui.services.images, " \
        "g2d_tui.services.png_metadata; " \
        "bad = [m for m in ('PIL', 'httpx', 'textual') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_inspect_keeps_a_small_rgb_preview_of_what_it_decoded():
    picture = gradient(1024, 768, (200, 40, 90), 3).convert("RGBA")
    info = image_codec.inspect(encode(picture, "PNG"))
    preview = info.preview
    assert preview.mode == "RGB"
    assert preview.size == (512, 384)  # fits PREVIEW_BOX, aspect kept
    expected = picture.convert("RGB").resize((512, 384))
    assert abs(preview.getpixel((256, 192))[0] - expected.getpixel((256, 192))[0]) <= 8
