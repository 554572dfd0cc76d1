"""ComfyUI against the loopback fake: built-in and custom workflows, websocket and polling,
errors, cancel."""

from __future__ import annotations

import asyncio
import json

import pytest

from g2d_tui.services.images import comfy_workflow
from g2d_tui.services.images.base import ImageError, ImageRequest, Progress
from g2d_tui.services.images.comfyui import ComfyUIBackend, ComfyUIConfig
from tests.backends.helpers import closed_port, params_line, saved_texts, until
from tests.fakes.comfyui_server import CHECKPOINTS

CUSTOM = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "{{checkpoint}}"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "masterpiece, {{ prompt }}", "clip": ["1", 1]}},
    "3": {"class_type": "EmptyLatentImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1}},
    "4": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 4, "cfg": 5.5, "sampler_name": "euler",
                                              "scheduler": "normal", "denoise": 1.0, "model": ["1", 0], "positive": ["2", 0],
                                              "negative": ["2", 0], "latent_image": ["3", 0]}},
    "5": {"class_type": "VAEDecode", "inputs": {"samples": ["4", 0], "vae": ["1", 2]}},
    "6": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["5", 0]}},
}


@pytest.fixture
async def make(fake_comfyui):
    made: list[ComfyUIBackend] = []

    def factory(**overrides) -> ComfyUIBackend:
        backend = ComfyUIBackend(ComfyUIConfig(**{"base_url": fake_comfyui.base_url, "poll_interval": 0.02, **overrides}))
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


def queued_graph(fake) -> dict:
    [sent] = fake.requests_to("POST", "/prompt")
    return sent.json["prompt"]


@pytest.mark.parametrize("socket", ["websocket", "polling", "socket drops"])
async def test_builtin_workflow_draws_to_a_saved_png(fake_comfyui, make, tmp_path, socket):
    fake_comfyui.websocket = socket != "polling"
    fake_comfyui.drop_socket_after_start = socket == "socket drops"
    seen: list[Progress] = []
    request = ImageRequest(prompt="a fox", negative_prompt="blurry", width=96, height=64, steps=5, guidance_scale=6.0, seed=11)
    image = await make().generate(request, seen.append)

    graph = queued_graph(fake_comfyui)
    assert [graph[n]["class_type"] for n in ("4", "6", "7", "5", "3", "8", "9")] == [
        "CheckpointLoaderSimple", "CLIPTextEncode", "CLIPTextEncode", "EmptyLatentImage", "KSampler", "VAEDecode", "SaveImage"]
    assert graph["4"]["inputs"]["ckpt_name"] == CHECKPOINTS[0]  # the first the server lists
    assert (graph["6"]["inputs"]["text"], graph["7"]["inputs"]["text"]) == ("a fox", "blurry")
    assert {k: graph["3"]["inputs"][k] for k in ("seed", "steps", "cfg")} == {"seed": 11, "steps": 5, "cfg": 6.0}
    assert (image.backend, image.model, image.seed, image.width, image.height) == ("comfyui", CHECKPOINTS[0], 11, 96, 64)
    if socket == "websocket":
        assert [(p.step, p.total) for p in seen if p.kind == "step"] == [(n, 5) for n in range(1, 6)]
    texts = saved_texts(image, tmp_path)
    assert params_line(texts) == f"Steps: 5, Sampler: euler, CFG scale: 6, Seed: 11, Size: 96x64, Model: {CHECKPOINTS[0]}, Backend: comfyui"
    assert json.loads(texts["prompt"]) == graph  # the server's chunks, kept
    assert "workflow" in texts


async def test_custom_workflow_placeholders_are_filled_typed(fake_comfyui, make, tmp_path):
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(CUSTOM), encoding="utf-8")
    image = await make(workflow=str(path), checkpoint=CHECKPOINTS[1]).generate(
        ImageRequest(prompt="a fox", negative_prompt="blurry", width=80, height=64, steps=30, seed=5)
    )
    graph = queued_graph(fake_comfyui)
    assert graph["1"]["inputs"]["ckpt_name"] == CHECKPOINTS[1]
    assert graph["2"]["inputs"]["text"] == "masterpiece, a fox"
    assert graph["3"]["inputs"]["width"] == 80 and isinstance(graph["3"]["inputs"]["width"], int)
    assert graph["4"]["inputs"]["seed"] == 5 and graph["4"]["inputs"]["steps"] == 4  # the workflow's own steps
    assert image.used == {"width", "height", "seed"}
    assert image.ignored == {"negative_prompt", "steps", "guidance_scale"}
    line = params_line(saved_texts(image, tmp_path))
    assert "Steps" not in line and "CFG" not in line and "Seed: 5" in line and "Sampler" not in line


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (json.dumps({"1": {"class_type": "X", "inputs": {"text": "{{promt}}"}}}), "images.workflow_invalid"),
        (json.dumps({"nodes": [], "links": [], "version": 0.4}), "images.workflow_not_api"),
        ("{not json", "images.workflow_invalid"),
        (json.dumps([1, 2]), "images.workflow_invalid"),
        ('{"1": ' + "[" * 100_000 + "]" * 100_000 + "}", "images.workflow_invalid"),
    ],
    ids=["unknown placeholder", "editor format", "not json", "not a graph", "nested too deep"],
)
async def test_unusable_workflow_files(fake_comfyui, make, tmp_path, content, key):
    path = tmp_path / "flow.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImageError) as caught:
        await make(workflow=str(path)).generate(ImageRequest(prompt="p"))
    assert caught.value.key == key
    assert fake_comfyui.requests_to("POST", "/prompt") == []


async def test_missing_workflow_file(make, tmp_path):
    with pytest.raises(ImageError) as caught:
        await make(workflow=str(tmp_path / "nope.json")).generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.workflow_unreadable"


async def test_missing_checkpoint_fails_before_queueing(fake_comfyui, make):
    with pytest.raises(ImageError) as caught:
        await make(checkpoint="nope.safetensors").generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.comfyui_checkpoint_missing", {"checkpoint": "nope.safetensors"})
    assert fake_comfyui.requests_to("POST", "/prompt") == []


async def test_a_server_without_checkpoints(fake_comfyui, make):
    fake_comfyui.checkpoints = []
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.comfyui_no_checkpoints"


async def test_the_server_refusing_the_workflow_says_why(fake_comfyui, make, tmp_path):
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(CUSTOM), encoding="utf-8")
    with pytest.raises(ImageError) as caught:
        await make(workflow=str(path), checkpoint="gone.safetensors").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.comfyui_rejected"
    assert "CheckpointLoaderSimple: Value not in list" in caught.value.params["message"]


@pytest.mark.parametrize("socket", [True, False])
async def test_an_execution_error_names_the_node(fake_comfyui, make, socket):
    fake_comfyui.websocket = socket
    fake_comfyui.fail_next("CUDA out of memory")
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p", width=64, height=64, steps=2))
    assert (caught.value.key, caught.value.params) == ("images.comfyui_failed", {"node": "KSampler", "message": "CUDA out of memory"})


async def test_cancel_while_running_interrupts_the_job(fake_comfyui, make):
    fake_comfyui.step_delay = 0.05
    task = asyncio.create_task(make().generate(ImageRequest(prompt="p", width=64, height=64, steps=1000)))
    await until(fake_comfyui.running_job.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(fake_comfyui.interrupted.is_set)
    [interrupt] = fake_comfyui.requests_to("POST", "/interrupt")
    assert interrupt.json["prompt_id"] == fake_comfyui.requests_to("POST", "/queue")[0].json["delete"][0]


async def test_cancel_while_queued_removes_the_job_without_interrupting_others(fake_comfyui, make):
    fake_comfyui.paused.set()
    seen: list[Progress] = []
    task = asyncio.create_task(make().generate(ImageRequest(prompt="p", width=64, height=64), seen.append))
    await until(lambda: any(p.kind == "queued" for p in seen))
    assert [p.position for p in seen if p.kind == "queued"] == [1]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: bool(fake_comfyui.requests_to("POST", "/queue")))
    assert fake_comfyui.pending == []
    assert fake_comfyui.requests_to("POST", "/interrupt") == []


async def test_server_down():
    backend = ComfyUIBackend(ComfyUIConfig(base_url=f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.comfyui_unreachable"
    await backend.aclose()


async def test_a_job_that_never_finishes_hits_the_deadline(fake_comfyui, make):
    fake_comfyui.paused.set()
    with pytest.raises(ImageError) as caught:
        await make(job_timeout=0.3).generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.timeout"


@pytest.mark.parametrize("new_format", [False, True])
async def test_checkpoints_for_the_picker(fake_comfyui, make, new_format):
    fake_comfyui.new_combo_format = new_format
    assert await make().list_models() == CHECKPOINTS


def test_fill_keeps_values_without_placeholders_and_types_whole_ones():
    workflow = comfy_workflow.fill(
        {"1": {"class_type": "K", "inputs": {"cfg": "{{cfg}}", "note": "seed={{seed}}", "fixed": 3, "list": ["{{steps}}"]}}},
        {"cfg": 7.5, "seed": 9, "steps": 20},
    )
    assert workflow.graph["1"]["inputs"] == {"cfg": 7.5, "note": "seed=9", "fixed": 3, "list": [20]}
    assert workflow.used == {"guidance_scale", "seed", "steps"}
