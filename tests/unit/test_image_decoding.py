"""Decoding received images safely: formats, pixel caps from the header, one decode, bounded concurrency."""

from __future__ import annotations

import struct
import threading
import zlib

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from g2d_tui.services import image_codec
from g2d_tui.services.images.base import ImageError
from tests.fakes.hf_server import bomb_png, encode, gradient, png_bytes, png_with_text_chunk


def _key(data: bytes, **kwargs) -> str:
    with pytest.raises(ImageError) as caught:
        image_codec.inspect(data, **kwargs)
    return caught.value.key


@pytest.fixture
def decodes(monkeypatch) -> dict[str, int]:
    """Counts Pillow's pixel decodes (``load``) and structure passes (``verify``)."""
    counts = {"load": 0, "verify": 0}
    real_load, real_verify = ImageFile.ImageFile.load, PngImagePlugin.PngImageFile.verify

    def load(self):
        if self.tile:  # pixels still to decode (later calls on a loaded image return at once)
            counts["load"] += 1
        return real_load(self)

    def verify(self):
        counts["verify"] += 1
        return real_verify(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", verify)
    return counts


def test_a_9400_square_png_of_a_few_hundred_bytes_is_refused_from_its_header(decodes):
    data = bomb_png(9400, 9400)
    assert len(data) < 1000
    assert _key(data) == "images.too_large"
    assert _key(data, expected_size=(1024, 1024)) == "images.too_large"
    assert decodes == {"load": 0, "verify": 0}  # nothing was inflated
    with pytest.raises(ImageError):
        image_codec.display_copy(data, 100, 100)
    assert decodes["load"] == 0


def test_more_than_four_times_the_requested_pixels_is_refused(decodes):
    big = encode(Image.new("RGB", (2048, 2048), (90, 40, 20)), "PNG", compress_level=1)
    assert _key(big, expected_size=(512, 512)) == "images.too_large"
    assert decodes["load"] == 0
    info = image_codec.inspect(big, expected_size=(1024, 1024))  # exactly 4x: accepted
    assert (info.width, info.height) == (2048, 2048)


def test_a_model_that_ignores_a_small_size_may_still_send_its_native_1024():
    data = encode(Image.new("RGB", (1024, 1024), (90, 40, 20)), "PNG", compress_level=1)
    assert image_codec.inspect(data, expected_size=(64, 64)).width == 1024


def test_the_absolute_cap_holds_without_an_expected_size():
    side = int(image_codec.MAX_PIXELS**0.5) + 1
    assert _key(bomb_png(side, side)) == "images.too_large"


def test_a_png_is_decoded_once_and_never_verified_separately(decodes):
    info = image_codec.inspect(png_bytes(256, 192))
    assert decodes == {"load": 1, "verify": 0}
    assert info.preview is not None and info.is_black is False  # both from that one decode


@pytest.mark.parametrize(("fmt", "options"), [("GIF", {}), ("BMP", {}), ("TIFF", {}), ("ICO", {}), ("PPM", {}), ("TGA", {})])
def test_formats_no_backend_sends_are_never_decoded(fmt, options, decodes):
    data = encode(gradient(32, 32), fmt, **options)
    assert _key(data) == "images.corrupt"
    with pytest.raises(ImageError):
        image_codec.display_copy(data, 10, 10)
    assert decodes["load"] == 0


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_images_are_refused(fmt, keep):
    data = encode(gradient(96, 96, seed=1), fmt, **({"quality": 90} if fmt != "PNG" else {}))
    assert _key(data[: int(len(data) * keep)]) == "images.corrupt"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_damaged_pixels_with_good_checksums_fail_the_one_decode():
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" + b"\x80" * (64 * 3), 9)[:-6] + b"\xff" * 6  # bad deflate tail, valid CRC
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    assert _key(data) == "images.corrupt"


def test_a_png_without_iend_or_with_chunks_out_of_order_is_refused():
    good = png_bytes(16, 16)
    assert _key(good[:-12]) == "images.corrupt"  # IEND cut off, everything else intact
    signature, rest = good[:8], good[8:]
    ihdr_end = 8 + 12 + 13
    assert _key(signature + rest[ihdr_end - 8 :] + rest[: ihdr_end - 8]) == "images.corrupt"


def _split_idat_png(width: int, height: int, pieces: int) -> tuple[bytes, bytes]:
    """A PNG whose pixel stream is cut into ``pieces`` IDAT chunks, and its raw RGB pixels."""
    rows = b"".join(b"\0" + bytes((x * 7 + y * 3) % 256 for x in range(width * 3)) for y in range(height))
    stream = zlib.compress(rows, 6)
    step = -(-len(stream) // pieces)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idats = b"".join(_chunk(b"IDAT", stream[i : i + step]) for i in range(0, len(stream), step))
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + idats + _chunk(b"IEND", b"")
    pixels = b"".join(rows[y * (width * 3 + 1) + 1 : (y + 1) * (width * 3 + 1)] for y in range(height))
    return data, pixels


def test_a_png_in_many_idat_chunks_decodes_to_the_same_pixels():
    data, pixels = _split_idat_png(80, 60, pieces=9)
    assert data.count(b"IDAT") == 9
    with image_codec.decoded(data) as image:
        assert image.size == (80, 60) and image.tobytes() == pixels


def test_a_bad_checksum_in_any_idat_chunk_is_refused_before_joining():
    data, _ = _split_idat_png(80, 60, pieces=5)
    third = [i for i in range(len(data)) if data.startswith(b"IDAT", i)][2]
    damaged = bytearray(data)
    damaged[third + 10] ^= 0x01  # one bit of the third chunk's body; its CRC now disagrees
    assert _key(bytes(damaged)) == "images.corrupt"


def test_a_png_with_a_10_mb_text_chunk_decodes_without_keeping_the_text():
    data = png_with_text_chunk(10 * 1024 * 1024)
    assert len(data) > 10 * 1024 * 1024
    info = image_codec.inspect(data)
    assert (info.width, info.height) == (64, 64)
    assert info.preview.info == {}
    assert image_codec.display_copy(data, 32, 32).info == {}


def test_concurrent_decodes_are_bounded(monkeypatch):
    inside = 0
    peak = 0
    lock = threading.Lock()
    full = threading.Event()
    real_load = ImageFile.ImageFile.load

    def load(self):
        nonlocal inside, peak
        if not self.tile:
            return real_load(self)
        with lock:
            inside += 1
            peak = max(peak, inside)
            if inside >= image_codec.MAX_CONCURRENT_DECODES:
                full.set()
        try:
            full.wait(10)  # hold the slot until the limit is reached, so decodes overlap
            return real_load(self)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    data = png_bytes(64, 64)
    errors: list[BaseException] = []

    def decode() -> None:
        try:
            image_codec.inspect(data)
            image_codec.display_copy(data, 16, 16)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=decode) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert peak == image_codec.MAX_CONCURRENT_DECODES


def test_pixel_limit_follows_pillow_when_it_is_lower(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert image_codec.pixel_limit() == 1000
    assert image_codec.pixel_limit((10, 10)) == 1000

