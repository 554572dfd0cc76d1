"""``g2d-tui imagine`` against the loopback fakes: files, metadata, seeds, output shapes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from g2d_tui.services.png_metadata import parameters_text
from g2d_tui.services.images.base import GeneratedImage, ImageRequest
from tests.cli.helpers import run_command, settings_file
from tests.fakes.gemini_server import default_image_prompt


@pytest.fixture
def config(tmp_path, fake_gemini, fake_hf):
    return str(
        settings_file(tmp_path / "config.toml", fake_gemini.base_url, fake_hf.base_url, tmp_path / "saved", width=128, height=96)
    )


def saved_texts(path: Path) -> dict[str, str]:
    with Image.open(path) as picture:
        return dict(picture.text)


def test_paths_on_stdout_one_per_line(config, tmp_path, fake_gemini, fake_hf):
    ran = run_command("imagine", "--config", config, "a", "red", "fox")
    assert ran.code == 0, ran.stderr
    paths = [Path(line) for line in ran.stdout.splitlines()]
    assert len(paths) == 1 and paths[0].parent == tmp_path / "saved" and paths[0].is_file()
    assert ran.stderr == ""  # stderr is not a terminal: no progress
    assert fake_gemini.requests_to("generate")[-1].turns == [("user", "a red fox")]
    sent = fake_hf.requests[-1].json
    assert sent["inputs"] == default_image_prompt("a red fox")["prompt"]
    assert sent["parameters"]["width"] == 128 and sent["parameters"]["height"] == 96


def test_n_pictures_have_their_own_seeds_and_the_app_s_metadata(config, tmp_path, fake_hf):
    ran = run_command("imagine", "--config", config, "-n", "2", "--json", "--out", str(tmp_path / "out"), "a", "cat")
    assert ran.code == 0, ran.stderr
    pictures = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(pictures) == 2
    assert pictures[0]["seed"] != pictures[1]["seed"]
    assert [request.json["parameters"]["seed"] for request in fake_hf.requests] == [p["seed"] for p in pictures]
    for picture in pictures:
        assert set(picture) == {"prompt", "negative_prompt", "seed", "backend", "provider", "model", "width", "height", "path"}
        assert picture["backend"] == "huggingface" and picture["model"] == "stabilityai/stable-diffusion-xl-base-1.0"
        path = Path(picture["path"])
        assert path.parent == tmp_path / "out"
        # What the app writes (image_store.save -> image_codec): the same three text chunks.
        request = ImageRequest(prompt=picture["prompt"], negative_prompt=picture["negative_prompt"], width=128, height=96,
                               seed=picture["seed"], source_request="a cat")
        expected = GeneratedImage(b"", "image/png", picture["width"], picture["height"], picture["seed"], picture["model"],
                                  request, datetime.now().astimezone(), backend=picture["backend"], provider=picture["provider"])
        assert picture["provider"] == "hf-inference"
        texts = saved_texts(path)
        assert set(texts) == {"parameters", "Software", "g2d-request"}
        assert texts["parameters"] == parameters_text(expected)
        assert texts["g2d-request"] == "a cat"
    assert len({p["path"] for p in pictures}) == 2


def test_seed_numbers_follow_the_given_one(config, fake_hf):
    ran = run_command("imagine", "--config", config, "--seed", "41", "-n", "3", "--json", "x")
    assert [json.loads(line)["seed"] for line in ran.stdout.splitlines()] == [41, 42, 43]


def test_no_expand_size_negative_and_model(config, fake_gemini, fake_hf):
    ran = run_command(
        "imagine", "--config", config, "--no-expand", "--size", "256x192", "--negative", "blurry",
        "--model", "Lykon/dreamshaper-8", "--json", "oil painting of a harbour",
    )
    assert ran.code == 0, ran.stderr
    assert fake_gemini.requests == []  # the text is the prompt
    picture = json.loads(ran.stdout)
    assert picture["prompt"] == "oil painting of a harbour" and picture["negative_prompt"] == "blurry"
    assert picture["model"] == "Lykon/dreamshaper-8"
    assert fake_hf.requests[-1].model == "Lykon/dreamshaper-8"
    assert fake_hf.requests[-1].json["parameters"] | {"seed": 0} == {
        "negative_prompt": "blurry", "width": 256, "height": 192, "num_inference_steps": 30, "guidance_scale": 7.0, "seed": 0,
    }


def test_progress_goes_to_a_terminal_stderr_only(config):
    ran = run_command("imagine", "--config", config, "-n", "2", "a", "boat", stderr_terminal=True)
    assert ran.code == 0
    assert "Gemini is writing the prompt" in ran.stderr and "Prompt: a boat, highly detailed" in ran.stderr
    assert "[2/2] Drawing the picture" in ran.stderr
    assert all(Path(line).is_file() for line in ran.stdout.splitlines())  # stdout: the paths only


@pytest.mark.parametrize("arguments", [["--size", "10x10"], ["--size", "big"], ["-n", "0"], ["--seed", "-5"], ["--backend", "nope"]])
def test_bad_options_are_usage_errors(config, fake_hf, arguments):
    ran = run_command("imagine", "--config", config, *arguments, "x")
    assert ran.code == 2 and "usage: g2d-tui imagine" in ran.stderr
    assert fake_hf.requests == []
