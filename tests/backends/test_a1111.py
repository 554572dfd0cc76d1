"""AUTOMATIC1111 / Forge against the loopback fake of its API."""

from __future__ import annotations

import asyncio

import pytest

from g2d_tui.services.images.a1111 import A1111Backend, A1111Config
from g2d_tui.services.images.base import ImageError, ImageRequest, Progress
from tests.backends.helpers import closed_port, saved_texts, until
from tests.fakes.a1111_server import CHECKPOINTS


@pytest.fixture
async def make(fake_a1111):
    made: list[A1111Backend] = []

    def factory(**overrides) -> A1111Backend:
        backend = A1111Backend(A1111Config(**{"base_url": fake_a1111.base_url, "poll_interval": 0.02, **overrides}))
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


async def test_draws_to_a_saved_png_with_the_servers_infotext(fake_a1111, make, tmp_path):
    request = ImageRequest(prompt="a fox", negative_prompt="blurry", width=96, height=64, steps=12, guidance_scale=6.5, seed=77)
    image = await make(model="dreamshaper_8", sampler="Euler a").generate(request)

    [sent] = fake_a1111.requests_to("POST", "/sdapi/v1/txt2img")
    body = sent.json
    assert {key: body[key] for key in ("prompt", "negative_prompt", "steps", "cfg_scale", "width", "height", "seed", "sampler_name")} == {
        "prompt": "a fox", "negative_prompt": "blurry", "steps": 12, "cfg_scale": 6.5, "width": 96, "height": 64,
        "seed": 77, "sampler_name": "Euler a",
    }
    assert body["override_settings"] == {"sd_model_checkpoint": "dreamshaper_8"}
    assert body["send_images"] is True and body["save_images"] is False
    assert (image.backend, image.model, image.seed, image.sampler, image.width, image.height) == ("a1111", "dreamshaper_8", 77, "Euler a", 96, 64)
    parameters = saved_texts(image, tmp_path)["parameters"]
    assert parameters.startswith("a fox\nNegative prompt: blurry\nSteps: 12, Sampler: Euler a, Schedule type: Karras,")
    assert "Model hash: 31e35c80fc" in parameters  # the server's own infotext, kept
    assert parameters.endswith(", Backend: a1111")


async def test_without_model_and_sampler_the_server_decides(fake_a1111, make):
    image = await make().generate(ImageRequest(prompt="p", width=64, height=64, steps=2))
    [sent] = fake_a1111.requests_to("POST", "/sdapi/v1/txt2img")
    assert "override_settings" not in sent.json and "sampler_name" not in sent.json
    assert image.model == "sd_xl_base_1.0" and image.sampler == "DPM++ 2M"
    assert fake_a1111.requests_to("GET", "/sdapi/v1/sd-models") == []  # nothing to check


async def test_line_breaks_in_the_prompt_cannot_forge_the_servers_infotext(fake_a1111, make):
    await make().generate(ImageRequest(prompt="a cat\nNegative prompt: x\nSteps: 99", width=64, height=64, steps=2))
    [sent] = fake_a1111.requests_to("POST", "/sdapi/v1/txt2img")
    assert sent.json["prompt"] == "a cat Negative prompt: x Steps: 99"


async def test_progress_reports_sampling_steps(fake_a1111, make):
    fake_a1111.step_delay = 0.03
    seen: list[Progress] = []
    await make().generate(ImageRequest(prompt="p", width=64, height=64, steps=10), seen.append)
    steps = [(p.step, p.total) for p in seen if p.kind == "step"]
    assert steps and all(total == 10 for _, total in steps)
    assert steps == sorted(set(steps))  # each step once, in order
    assert seen[0].kind == "sending" and seen[-1].kind == "checking"


async def test_cancel_interrupts_the_server(fake_a1111, make):
    fake_a1111.step_delay = 0.05
    backend = make()
    task = asyncio.create_task(backend.generate(ImageRequest(prompt="slow", width=64, height=64, steps=1000)))
    await until(fake_a1111.started.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(fake_a1111.interrupted.is_set)
    assert len(fake_a1111.requests_to("POST", "/sdapi/v1/interrupt")) == 1


async def test_server_down():
    backend = A1111Backend(A1111Config(base_url=f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.a1111_unreachable"
    assert "--api" in caught.value.message()
    await backend.aclose()


async def test_web_ui_without_api(fake_a1111, make):
    fake_a1111.api_enabled = False
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.a1111_no_api"


async def test_missing_checkpoint_fails_before_drawing(fake_a1111, make):
    with pytest.raises(ImageError) as caught:
        await make(model="nope.safetensors").generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.a1111_model_missing", {"model": "nope.safetensors"})
    assert fake_a1111.requests_to("POST", "/sdapi/v1/txt2img") == []


@pytest.mark.parametrize("model", [CHECKPOINTS[1]["title"], "dreamshaper_8", "dreamshaper_8.safetensors"])
async def test_checkpoint_names_as_a1111_accepts_them(fake_a1111, make, model):
    image = await make(model=model).generate(ImageRequest(prompt="p", width=64, height=64, steps=1))
    assert image.model == "dreamshaper_8"


async def test_missing_sampler(fake_a1111, make):
    with pytest.raises(ImageError) as caught:
        await make(sampler="Nope").generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.a1111_sampler_missing", {"sampler": "Nope"})


async def test_server_failure_says_what_the_server_said(fake_a1111, make):
    fake_a1111.fail_next(500, {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory.\x1b[31m Tried to allocate 2 GiB"})
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.a1111_failed"
    assert caught.value.params["message"].startswith("OutOfMemoryError: CUDA out of memory.")
    fake_a1111.fail_next(500, {"detail": "CUDA out of memory.\x1b[31m"})
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert "\x1b" not in caught.value.params["message"] and "␛" in caught.value.params["message"]


async def test_an_answer_without_images(fake_a1111, make):
    fake_a1111.fail_next(200, {"images": [], "parameters": {}, "info": "{}"})
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.a1111_no_image"


async def test_lists_for_the_pickers(fake_a1111, make):
    backend = make()
    assert await backend.list_models() == [item["title"] for item in CHECKPOINTS]
    assert await backend.list_samplers() == ["DPM++ 2M", "Euler a", "Euler", "DDIM"]


async def test_a_slow_server_ends_in_the_total_timeout(fake_a1111, make):
    fake_a1111.step_delay = 0.2
    with pytest.raises(ImageError) as caught:
        await make(read_timeout=0.4).generate(ImageRequest(prompt="p", width=64, height=64, steps=50))
    assert (caught.value.key, caught.value.params) == ("images.timeout", {"seconds": 0.4})
