"""Import: recipes from A1111 ``parameters`` and ComfyUI ``prompt`` chunks; bad files counted, not fatal."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from g2d_tui.services.history import HistoryError, HistoryStore, ImportResult, parse_comfy_prompt, parse_parameters
from g2d_tui.services.history.gallery import file_sha256
from g2d_tui.services.history.png_text import MAX_TEXT_CHUNK, UnreadablePng, read_png_info
from g2d_tui.services.sanitize import is_clean
from tests.unit.history_support import A1111_PARAMETERS, comfy_prompt, png

# -- the parameters parser --------------------------------------------------------------


def test_parse_a1111_parameters():
    recipe = parse_parameters(A1111_PARAMETERS)
    assert recipe["prompt"] == "masterpiece, a red fox in the snow,\n(golden hour:1.2), detailed fur"
    assert recipe["negative_prompt"] == "blurry, lowres,\nbad anatomy"
    assert (recipe["steps"], recipe["guidance_scale"], recipe["seed"]) == (28, 6.5, 3141592653)
    assert (recipe["width"], recipe["height"]) == (832, 1216)
    assert recipe["model"] == "sd_xl_base_1.0" and recipe["sampler"] == "DPM++ 2M Karras"
    assert recipe["extra"]["Lora hashes"] == "fox: 1a2b, snow: 3c4d"  # quoted, commas inside
    assert recipe["extra"]["Version"] == "v1.6.0"


def test_parse_our_own_parameters():
    from g2d_tui.services.png_metadata import parameters_text
    from g2d_tui.services.images.base import GeneratedImage, ImageRequest

    image = GeneratedImage(
        data=b"", mime="image/png", width=1024, height=768, seed=42, model="stabilityai/stable-diffusion-xl-base-1.0",
        request=ImageRequest(prompt="a lighthouse at dusk", negative_prompt="fog", steps=30, guidance_scale=7.0),
        created=datetime.now(timezone.utc),
    )
    recipe = parse_parameters(parameters_text(image))
    assert (recipe["prompt"], recipe["negative_prompt"]) == ("a lighthouse at dusk", "fog")
    assert (recipe["steps"], recipe["guidance_scale"], recipe["seed"]) == (30, 7.0, 42)
    assert (recipe["width"], recipe["height"], recipe["model"]) == (1024, 768, "stabilityai/stable-diffusion-xl-base-1.0")


@pytest.mark.parametrize(
    ("text", "prompt", "negative", "steps"),
    [
        ("just a prompt", "just a prompt", "", None),
        ("a prompt\nSteps: 20, Seed: 5, Size: 64x64", "a prompt", "", 20),
        ("Steps: 20, Seed: 5, Size: 64x64", "Steps: 20, Seed: 5, Size: 64x64", "", None),  # a lone line is the prompt
        ("Negative prompt: only negative\nSteps: 20, Seed: 5, Size: 64x64", "", "only negative", 20),
        ("a\r\nNegative prompt: b\r\nSteps: 7, Sampler: x, CFG scale: 3", "a", "b", 7),
        ("a\nSteps: -3, Seed: x, CFG scale: inf", "a", "", None),  # a settings line of junk values
        ("", "", "", None),
    ],
)
def test_parse_parameters_edge_cases(text, prompt, negative, steps):
    recipe = parse_parameters(text)
    assert (recipe["prompt"], recipe["negative_prompt"], recipe["steps"]) == (prompt, negative, steps)


def test_parse_parameters_rejects_out_of_range_numbers():
    recipe = parse_parameters("p\nSteps: 99999999, Seed: 99999999999999999999999, CFG scale: nan, Size: 0x100000000")
    assert (recipe["steps"], recipe["seed"], recipe["guidance_scale"], recipe["width"], recipe["height"]) == (None,) * 5


def test_parse_parameters_cleans_control_characters():
    recipe = parse_parameters('\x1b]52;c;ZXZpbA==\x07fox\nNegative prompt: \x9bbad\nSteps: 1, Sampler: "\\u001b[2J", Model: m\x1b[31m')
    assert recipe["prompt"] == "␛]52;c;ZXZpbA==␇fox" and recipe["negative_prompt"] == "\ufffdbad"
    assert all(is_clean(value) for value in recipe["extra"].values())
    assert recipe["extra"]["Sampler"] == "␛[2J" and recipe["model"] == "m␛[31m"


def test_parse_comfy_prompt():
    recipe = parse_comfy_prompt(comfy_prompt())
    assert recipe["prompt"] == "a red fox in the snow\ngolden hour"
    assert recipe["negative_prompt"] == "blurry, watermark"
    assert (recipe["seed"], recipe["steps"], recipe["guidance_scale"]) == (2**64 - 1, 25, 5.5)
    assert recipe["model"] == "dreamshaper_8.safetensors" and recipe["sampler"] == "euler"
    assert (recipe["width"], recipe["height"]) == (768, 512)


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"1": {"class_type": "SaveImage", "inputs": {}}}', "[" * 100_000, '{"3": {"class_type": "KSampler"}}'],
)
def test_parse_comfy_prompt_refuses_what_is_not_a_workflow(text):
    assert parse_comfy_prompt(text) is None


def test_parse_comfy_prompt_survives_cycles_and_odd_links():
    graph = {
        "1": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["2", 0], "conditioning_2": ["99", 0]}},
        "2": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["1", 0], "conditioning_2": [None]}},
        "3": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "negative": "text", "seed": ["3", 0],
                                                    "steps": True, "cfg": "7", "model": ["3", 0]}},
    }
    recipe = parse_comfy_prompt(json.dumps(graph))
    assert recipe["prompt"] == "" and recipe["steps"] is None and recipe["guidance_scale"] == 7.0


# -- the PNG chunk reader ---------------------------------------------------------------


def test_png_reader_reads_text_in_every_chunk_kind(tmp_path):
    for options in ({}, {"itxt": True}, {"itxt": True, "ztxt": True}, {"ztxt": True}):
        path = tmp_path / "p.png"
        path.write_bytes(png(30, 20, {"parameters": "a fox ✨" if options.get("itxt") else "a fox"}, **options))
        info = read_png_info(path)
        assert (info.width, info.height) == (30, 20)
        assert info.texts["parameters"].startswith("a fox"), options


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _with_chunk(data: bytes, chunk: bytes) -> bytes:
    """``data`` with ``chunk`` spliced in right after IHDR."""
    return data[:33] + chunk + data[33:]


def test_png_reader_ignores_oversized_and_bomb_text(tmp_path):
    path = tmp_path / "p.png"
    big = _chunk(b"tEXt", b"parameters\0" + b"x" * (MAX_TEXT_CHUNK + 1))
    bomb = _chunk(b"zTXt", b"prompt\0\0" + zlib.compress(b"y" * (MAX_TEXT_CHUNK * 4)))
    path.write_bytes(_with_chunk(png(8, 8), big + bomb))
    assert read_png_info(path).texts == {}


@pytest.mark.parametrize("damage", ["not-png", "truncated", "bad-ihdr-crc", "bad-text-crc", "no-iend", "empty"])
def test_png_reader_refuses_damaged_files(tmp_path, damage):
    data = png(8, 8, {"parameters": "fox"})
    if damage == "not-png":
        data = b"GIF89a" + data[6:]
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "bad-ihdr-crc":
        data = data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]
    elif damage == "bad-text-crc":
        index = data.index(b"tEXt") + 6
        data = data[:index] + bytes([data[index] ^ 0xFF]) + data[index + 1:]
    elif damage == "no-iend":
        data = data[:-12]
    else:
        data = b""
    path = tmp_path / "p.png"
    path.write_bytes(data)
    with pytest.raises(UnreadablePng):
        read_png_info(path)


# -- importing a folder -----------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    """Pictures from several programs, and files that are not usable."""
    from g2d_tui.services.png_metadata import png_with_parameters
    from g2d_tui.services.images.base import GeneratedImage, ImageRequest

    folder = tmp_path / "incoming"
    folder.mkdir()
    ours = GeneratedImage(
        data=png(32, 24), mime="image/png", width=32, height=24, seed=7, model="black-forest-labs/FLUX.1-schnell",
        request=ImageRequest(prompt="a lighthouse at dusk, oil painting", source_request="a lighthouse"),
        created=datetime.now(timezone.utc),
    )
    (folder / "ours.png").write_bytes(png_with_parameters(ours))
    (folder / "a1111.png").write_bytes(png(40, 60, {"parameters": A1111_PARAMETERS}))
    (folder / "comfy.PNG").write_bytes(png(48, 32, {"prompt": comfy_prompt(), "workflow": "{}"}))
    (folder / "plain.png").write_bytes(png(8, 8))  # no recipe
    (folder / "corrupt.png").write_bytes(png(8, 8, {"parameters": "x"})[:40])
    (folder / "not-a-png.png").write_bytes(b"hello")
    (folder / "notes.txt").write_text("not a picture")
    (folder / ".hidden.png").write_bytes(png(8, 8, {"parameters": "hidden"}))
    hostile = (
        "\x1b]52;c;ZXZpbA==\x07a fox\x1b[2J\nNegative prompt: \x1b[31mred\n"
        "Steps: 3, Sampler: \x9b31m, Seed: 1, Model: \x1b]0;title\x07"
    )
    (folder / "hostile.png").write_bytes(png(8, 8, {"parameters": hostile, "g2d-request": "req\x1b[5m"}))
    return folder


@pytest.fixture
def store(tmp_path):
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    yield opened
    opened.close()


def test_import_adds_pictures_with_their_recipes(store, folder):
    result = store.import_folder(folder)
    assert result == ImportResult(added=4, skipped=1, unreadable=2)
    pictures = {Path(picture.path).name: picture for picture in store.pictures()}
    assert set(pictures) == {"ours.png", "a1111.png", "comfy.PNG", "hostile.png"}
    ours = pictures["ours.png"]
    assert (ours.prompt, ours.request, ours.seed) == ("a lighthouse at dusk, oil painting", "a lighthouse", 7)
    assert ours.model == "black-forest-labs/FLUX.1-schnell"
    assert (ours.width, ours.height, ours.backend) == (32, 24, "")
    a1111 = pictures["a1111.png"]
    assert (a1111.seed, a1111.steps, a1111.guidance_scale, a1111.backend) == (3141592653, 28, 6.5, "a1111")
    assert (a1111.width, a1111.height) == (40, 60)  # the file's real size, not the recipe's
    comfy = pictures["comfy.PNG"]
    assert (comfy.prompt, comfy.negative_prompt, comfy.seed, comfy.backend) == (
        "a red fox in the snow\ngolden hour", "blurry, watermark", 2**64 - 1, "comfyui")
    for picture in pictures.values():
        assert picture.sha256 == file_sha256(Path(picture.path)) and picture.file_size == Path(picture.path).stat().st_size
        assert Path(picture.path).is_absolute() and picture.conversation_id is None
        assert picture.created.tzinfo is not None


def test_import_cleans_hostile_text(store, folder):
    store.import_folder(folder)
    (picture,) = [p for p in store.pictures() if p.path.endswith("hostile.png")]
    for value in (picture.prompt, picture.negative_prompt, picture.model, picture.request):
        assert "\x1b" not in value and "\x9b" not in value and "\x07" not in value
    assert picture.prompt == "␛]52;c;ZXZpbA==␇a fox␛[2J" and picture.request == "req␛[5m"


def test_import_twice_adds_nothing_and_copies_are_known_by_content(store, folder, tmp_path):
    store.import_folder(folder)
    assert store.import_folder(folder) == ImportResult(added=0, skipped=5, unreadable=2)
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    shutil.copy(folder / "a1111.png", elsewhere / "renamed.png")
    shutil.copy(folder / "a1111.png", elsewhere / "renamed-again.png")
    assert store.import_folder(elsewhere) == ImportResult(added=0, skipped=2, unreadable=0)
    assert store.picture_count() == 4


def test_import_one_level_down(store, folder, tmp_path):
    top = tmp_path / "top"
    (top / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(folder / "ours.png", top / "sub" / "one.png")
    shutil.copy(folder / "a1111.png", top / "sub" / "deeper" / "two.png")
    assert store.import_folder(top).added == 0
    assert store.import_folder(top, depth=1) == ImportResult(added=1, skipped=0, unreadable=0)


def test_import_from_what_is_not_a_folder(store, tmp_path):
    for path in (tmp_path / "missing", tmp_path / "file.png"):
        if path.suffix:
            path.write_bytes(b"x")
        with pytest.raises(HistoryError) as caught:
            store.import_folder(path)
        assert caught.value.key == "history.import.not_a_folder"
