"""image_store: file names, no overwrites, no escapes, clean failures."""

from __future__ import annotations

import errno
import io
import os
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from g2d_tui.services import image_store
from g2d_tui.services.image_store import save, slugify
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest
from tests.fakes.hf_server import encode, gradient, png_bytes

CREATED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=-3)))


def make_image(source="a red fox in the snow", prompt="photo of a red fox, snow, golden hour", data=None) -> GeneratedImage:
    return GeneratedImage(
        data=png_bytes(16, 12) if data is None else data,
        mime="image/png",
        width=16,
        height=12,
        seed=1234,
        model="stabilityai/stable-diffusion-xl-base-1.0",
        request=ImageRequest(prompt=prompt, source_request=source),
        created=CREATED,
    )


@pytest.fixture
def out(tmp_path):
    """An empty folder of our own (tmp_path also holds the isolated HOME)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A red fox in the snow!", "a-red-fox-in-the-snow"),
        ("Café à noite — São Paulo", "cafe-a-noite-sao-paulo"),
        ("../../etc/passwd", "etc-passwd"),
        ("..", "image"),
        ("", "image"),
        ("🦊🌨️", "image"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("con", "con-image"),
        ("  --multiple   spaces__and.dots--  ", "multiple-spaces-and-dots"),
    ],
)
def test_slugify(text, expected):
    assert slugify(text) == expected


def test_slugify_limits_length_without_trailing_dash():
    slug = slugify("word " * 40, max_length=12)
    assert len(slug) <= 12 and not slug.endswith("-")
    assert slug == "word-word-wo"


def test_save_names_file_with_timestamp_and_slug(out):
    path = save(make_image(), out)
    assert path == out / "20250304-050607-a-red-fox-in-the-snow.png"
    assert files(out) == [path.name]
    with Image.open(path) as saved:
        assert saved.format == "PNG"
        assert saved.text["g2d-request"] == "a red fox in the snow"
        assert saved.text["parameters"].startswith("photo of a red fox, snow, golden hour\nSteps: 30,")


def test_save_falls_back_to_the_prompt_for_the_slug(out):
    path = save(make_image(source=""), out)
    assert path.name == "20250304-050607-photo-of-a-red-fox-snow-golden-hour.png"


def test_save_never_overwrites(out):
    first = save(make_image(), out)
    before = first.read_bytes()
    second = save(make_image(), out)
    third = save(make_image(), out)
    assert second.name == "20250304-050607-a-red-fox-in-the-snow-2.png"
    assert third.name == "20250304-050607-a-red-fox-in-the-snow-3.png"
    assert first.read_bytes() == before
    assert len(files(out)) == 3  # no temporary files left


def test_save_skips_a_name_taken_by_a_directory_or_symlink(out):
    (out / "20250304-050607-a-red-fox-in-the-snow.png").mkdir()
    target = out / "victim.txt"
    target.write_text("keep me")
    (out / "20250304-050607-a-red-fox-in-the-snow-2.png").symlink_to(target)
    path = save(make_image(), out)
    assert path.name == "20250304-050607-a-red-fox-in-the-snow-3.png"
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "source",
    ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "日本語のリクエスト", "🦊 fox 🌨️", "x" * 500, "a/b/../../c", "\0\n\t"],
)
def test_odd_requests_stay_inside_the_folder(out, source):
    folder = out / "images"
    path = save(make_image(source=source), folder)
    assert path.parent == folder
    assert path.resolve().parent == folder.resolve()
    assert path.name.startswith("20250304-050607-") and path.name.endswith(".png")
    assert len(path.name) <= len("20250304-050607-") + 48 + len(".png")
    assert files(folder) == [path.name]
    assert files(out) == ["images"]


def test_save_creates_missing_folders(out):
    folder = out / "a" / "b" / "c"
    path = save(make_image(), folder)
    assert path.is_file() and path.parent == folder


def test_save_reencodes_jpeg_as_png(out):
    path = save(make_image(data=encode(gradient(20, 10), "JPEG")), out)
    assert path.suffix == ".png"
    with Image.open(io.BytesIO(path.read_bytes())) as saved:
        assert saved.format == "PNG" and saved.size == (20, 10)


def test_folder_that_is_a_file(out):
    folder = out / "pictures"
    folder.write_text("not a folder")
    with pytest.raises(ImageError) as caught:
        save(make_image(), folder)
    assert caught.value.key == "store.not_a_folder"
    assert caught.value.params == {"path": str(folder)}
    assert folder.read_text() == "not a folder"


def test_folder_under_a_file(out):
    parent = out / "file.txt"
    parent.write_text("x")
    with pytest.raises(ImageError) as caught:
        save(make_image(), parent / "images")
    assert caught.value.key in ("store.not_a_folder", "store.failed")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to read-only folders")
def test_unwritable_folder(out):
    folder = out / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ImageError) as caught:
            save(make_image(), folder)
        assert caught.value.key == "store.unwritable"
        assert caught.value.params == {"path": str(folder)}
        assert files(folder) == []
    finally:
        folder.chmod(0o700)


def test_disk_full_leaves_no_partial_file(out, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)  # the OS reporting ENOSPC when flushing
    with pytest.raises(ImageError) as caught:
        save(make_image(), out)
    assert caught.value.key == "store.disk_full"
    assert files(out) == []


def test_other_os_errors_leave_no_partial_file(out, monkeypatch):
    def broken(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(ImageError) as caught:
        save(make_image(), out)
    assert caught.value.key == "store.failed"
    assert caught.value.params == {"reason": "Input/output error"}
    assert files(out) == []


def test_filesystem_without_hard_links_still_saves_without_overwriting(out, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # e.g. FAT/exFAT USB sticks
    first = save(make_image(), out)
    second = save(make_image(), out)
    assert (first.name, second.name) == (
        "20250304-050607-a-red-fox-in-the-snow.png",
        "20250304-050607-a-red-fox-in-the-snow-2.png",
    )
    assert files(out) == sorted([first.name, second.name])


def test_corrupt_image_is_not_saved(out):
    folder = out / "images"
    with pytest.raises(ImageError) as caught:
        save(make_image(data=b"garbage"), folder)
    assert caught.value.key == "images.corrupt"
    assert not folder.exists() or files(folder) == []


def test_file_stem_uses_local_creation_time():
    assert image_store.file_stem(make_image(source="Hi")) == "20250304-050607-hi"
