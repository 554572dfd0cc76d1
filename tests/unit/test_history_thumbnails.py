"""Gallery thumbnails: small RGB copies, cached by content and size, refusing bombs and odd formats."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from g2d_tui.paths import thumbnails_dir
from g2d_tui.services.history.gallery import file_sha256
from g2d_tui.services.thumbnails import ThumbnailError, cached_path, make_thumbnail, thumbnail
from tests.fakes.hf_server import bomb_png, encode, gradient


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "fox.png"
    path.write_bytes(encode(gradient(640, 480), "PNG"))
    return path


def test_thumbnail_fits_the_box_keeps_the_aspect_and_is_rgb(picture, tmp_path):
    image = thumbnail(picture, size=128, cache_dir=tmp_path / "cache")
    assert image.mode == "RGB" and image.size == (128, 96)


def test_thumbnail_is_cached_by_content_and_size(picture, tmp_path):
    cache = tmp_path / "cache"
    digest = file_sha256(picture)
    first = thumbnail(picture, size=96, sha256=digest, cache_dir=cache)
    cached = cached_path(digest, 96, cache)
    assert cached.is_file() and cached.parent.name == digest[:2]
    picture.unlink()  # from now on only the cache can answer
    again = thumbnail(picture, size=96, sha256=digest, cache_dir=cache)
    assert again.size == first.size and again.mode == "RGB"
    with pytest.raises(ThumbnailError) as caught:
        thumbnail(picture, size=64, sha256=digest, cache_dir=cache)  # another size is another entry
    assert caught.value.key == "thumbnails.missing"
    assert sorted(p.name for p in cached.parent.iterdir()) == [cached.name]  # no temporary files left


def test_a_damaged_cache_entry_is_made_again(picture, tmp_path):
    cache = tmp_path / "cache"
    digest = file_sha256(picture)
    cached_path(digest, 64, cache).parent.mkdir(parents=True)
    cached_path(digest, 64, cache).write_bytes(b"not a jpeg")
    assert thumbnail(picture, size=64, sha256=digest, cache_dir=cache).size == (64, 48)
    with Image.open(cached_path(digest, 64, cache)) as rewritten:
        assert rewritten.format == "JPEG"


def test_default_cache_is_the_platform_cache_folder(picture, isolated_home):
    thumbnail(picture, size=32)
    assert thumbnails_dir() == isolated_home / ".cache" / "g2d-tui" / "thumbnails"
    assert cached_path(file_sha256(picture), 32).is_file()


def test_transparent_pictures_become_rgb_on_black(tmp_path):
    path = tmp_path / "alpha.png"
    path.write_bytes(encode(Image.new("RGBA", (40, 40), (255, 0, 0, 0)), "PNG"))
    image = make_thumbnail(path, 16)
    assert image.mode == "RGB" and image.getpixel((8, 8)) == (0, 0, 0)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_and_webp_are_accepted(tmp_path, fmt):
    path = tmp_path / f"p.{fmt.lower()}"
    path.write_bytes(encode(gradient(300, 200), fmt))
    assert make_thumbnail(path, 60).size == (60, 40)


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("bomb.png", bomb_png(), "thumbnails.too_large"),
        ("anim.gif", None, "thumbnails.unsupported"),
        ("text.png", b"hello, not a picture", "thumbnails.unsupported"),
        ("cut.png", None, "thumbnails.unreadable"),
    ],
)
def test_unusable_files_raise_thumbnail_errors(tmp_path, name, data, key):
    path = tmp_path / name
    if name == "anim.gif":
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="GIF")
        data = out.getvalue()
    elif name == "cut.png":
        data = encode(gradient(200, 200), "PNG")[:400]
    path.write_bytes(data)
    with pytest.raises(ThumbnailError) as caught:
        thumbnail(path, cache_dir=tmp_path / "cache")
    assert caught.value.key == key and caught.value.params["path"] == str(path)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.jpg"))


def test_missing_file(tmp_path):
    with pytest.raises(ThumbnailError) as caught:
        thumbnail(tmp_path / "gone.png", cache_dir=tmp_path / "cache")
    assert caught.value.key == "thumbnails.missing"
