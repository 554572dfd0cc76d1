"""Hugging Face through the router: every provider shape, ``auto``, jobs, errors, deadlines.

Against the loopback router fake (g2d_tui/devtools/fakes/hf_server.py), real httpx, no mocks.
"""

from __future__ import annotations

import asyncio

import pytest

from g2d_tui.services.images import hf
from g2d_tui.services.images.base import ImageError, ImageRequest, Progress
from g2d_tui.services.images.hf import DEFAULT_MODEL, HFConfig, HuggingFaceBackend
from tests.backends.helpers import params_line, saved_texts, until
from tests.fakes.hf_server import Error, Failing, FakeHF, Png, Trickle

TOKEN = "hf_ProviderTestToken0123456789"
MODEL = "black-forest-labs/FLUX.1-dev"
PROVIDERS = ["hf-inference", "fal-ai", "nscale", "replicate", "together", "wavespeed", "zai-org"]


def live(*providers: str, status: str = "live", task: str = "text-to-image") -> dict:
    """A Hub mapping (dict form, as model_info answers) listing ``providers`` in order."""
    return {name: {"status": status, "providerId": f"{name}/flux-dev" if name != "hf-inference" else MODEL, "task": task} for name in providers}


@pytest.fixture(autouse=True)
def fresh_mappings():
    """The mapping cache lives for the run; each test starts without it."""
    hf._mappings.clear()
    yield
    hf._mappings.clear()


@pytest.fixture
async def make(fake_hf):
    made: list[HuggingFaceBackend] = []
    fake_hf.job_polls = 2

    async def no_wait(_seconds: float) -> None:
        await asyncio.sleep(0)

    def factory(**overrides) -> HuggingFaceBackend:
        options = {"api_key": TOKEN, "model": MODEL, "base_url": fake_hf.base_url, "hub_url": fake_hf.base_url, **overrides}
        backend = HuggingFaceBackend(HFConfig(**options), sleep=no_wait)
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_each_provider_draws_to_a_saved_png_that_names_it(fake_hf, make, tmp_path, provider):
    fake_hf.mappings[MODEL] = live(provider)
    seen: list[Progress] = []
    request = ImageRequest(prompt="a lighthouse", negative_prompt="blurry", width=96, height=64, steps=12, seed=9)
    image = await make(provider=provider).generate(request, seen.append)

    [sent] = fake_hf.generations
    assert sent.provider == provider
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    params = sent.parameters
    assert (params["width"], params["height"], params["seed"], params["negative_prompt"]) == (96, 64, 9, "blurry")
    assert (image.width, image.height, image.backend, image.provider, image.seed) == (96, 64, "huggingface", provider, 9)
    assert seen[0] == Progress("provider", provider=provider)
    texts = saved_texts(image, tmp_path)
    line = params_line(texts)
    assert line.endswith(f"Backend: huggingface, Provider: {provider}")
    assert texts["parameters"].startswith("a lighthouse\nNegative prompt: blurry\n")
    # Result URLs are fetched without the token; job polls keep to the router.
    for download in fake_hf.requests_to("/files/"):
        assert "authorization" not in download.headers


@pytest.mark.parametrize(
    ("provider", "route", "body_keys"),
    [
        ("together", "/together/v1/images/generations", {"prompt", "response_format", "model", "steps", "guidance_scale", "width", "height", "seed"}),
        ("nscale", "/nscale/v1/images/generations", {"prompt", "response_format", "model", "size", "guidance_scale", "seed"}),
        ("fal-ai", "/fal-ai/fal-ai/flux-dev", {"prompt", "image_size", "num_inference_steps", "guidance_scale", "seed"}),
        ("wavespeed", "/wavespeed/api/v3/wavespeed/flux-dev", {"prompt", "width", "height", "num_inference_steps", "guidance_scale", "seed"}),
        ("zai-org", "/zai-org/api/paas/v4/async/images/generations", {"model", "prompt", "size", "num_inference_steps", "guidance_scale", "seed"}),
        ("replicate", "/replicate/v1/models/replicate/flux-dev/predictions", {"input"}),
    ],
)
async def test_request_shapes_follow_huggingface_hub(fake_hf, make, provider, route, body_keys):
    fake_hf.mappings[MODEL] = live(provider)
    await make(provider=provider).generate(ImageRequest(prompt="p", width=64, height=64, seed=1))
    [sent] = fake_hf.generations
    assert sent.route == route
    assert set(sent.json) == body_keys
    if provider == "replicate":
        assert sent.headers["prefer"] == "wait"
        assert set(sent.json["input"]) == {"prompt", "width", "height", "num_inference_steps", "guidance_scale", "seed"}
    if provider in ("together", "nscale", "zai-org"):
        assert sent.json["model"] == f"{provider}/flux-dev"  # the provider's own id, from the mapping


async def test_nscale_takes_no_steps_so_the_metadata_does_not_claim_them(fake_hf, make, tmp_path):
    fake_hf.mappings[MODEL] = live("nscale")
    image = await make(provider="nscale").generate(ImageRequest(prompt="p", width=64, height=64, steps=40))
    assert image.ignored == {"steps"}
    assert "Steps" not in params_line(saved_texts(image, tmp_path))


async def test_auto_picks_the_first_live_text_to_image_provider_we_speak(fake_hf, make):
    fake_hf.mappings[MODEL] = {
        "black-forest-labs": {"status": "live", "providerId": "flux-dev", "task": "text-to-image"},  # a shape we do not speak
        "fal-ai": {"status": "staging", "providerId": "fal-ai/flux-dev", "task": "text-to-image"},
        "together": {"status": "live", "providerId": "together/flux", "task": "conversational"},
        "replicate": {"status": "live", "providerId": "replicate/flux-dev", "task": "text-to-image"},
        "nscale": {"status": "live", "providerId": "nscale/flux-dev", "task": "text-to-image"},
    }
    seen: list[Progress] = []
    backend = make()
    image = await backend.generate(ImageRequest(prompt="p", width=64, height=64), seen.append)
    assert image.provider == "replicate"
    assert [p.provider for p in seen if p.kind == "provider"] == ["replicate"]
    [lookup] = fake_hf.requests_to("/api/models/")
    assert lookup.route == f"/api/models/{MODEL}"
    assert "expand%5B%5D=inferenceProviderMapping" in lookup.path or "expand[]=inferenceProviderMapping" in lookup.path
    await backend.generate(ImageRequest(prompt="again", width=64, height=64))
    assert len(fake_hf.requests_to("/api/models/")) == 1  # looked up once


async def test_auto_reads_the_list_form_of_the_mapping(fake_hf, make):
    fake_hf.mappings[MODEL] = [{"provider": "together", "providerId": "t/flux", "status": "live", "task": "text-to-image"}]
    image = await make().generate(ImageRequest(prompt="p", width=64, height=64))
    assert image.provider == "together"


async def test_auto_with_no_live_provider_says_so(fake_hf, make):
    fake_hf.mappings[MODEL] = live("fal-ai", status="error") | live("together", task="conversational")
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.no_provider", {"model": MODEL, "default": DEFAULT_MODEL})
    assert fake_hf.generations == []


async def test_a_model_the_hub_does_not_know(fake_hf, make):
    fake_hf.unknown_models.add(MODEL)
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.hub_model_not_found"
    assert fake_hf.generations == []


async def test_a_named_provider_that_does_not_serve_the_model(fake_hf, make):
    fake_hf.mappings[MODEL] = live("fal-ai")
    with pytest.raises(ImageError) as caught:
        await make(provider="together").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.model_not_found"
    assert caught.value.params["provider"] == "together"


async def test_an_unknown_provider_fails_before_any_request(fake_hf, make):
    with pytest.raises(ImageError) as caught:
        await make(provider="dall-e").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.provider_unsupported"
    assert fake_hf.requests == []


@pytest.mark.parametrize(
    ("status", "key"),
    [(401, "images.invalid_token"), (402, "images.no_credits"), (404, "images.model_not_found"), (429, "images.rate_limited_wait")],
)
async def test_partner_provider_errors(fake_hf, make, status, key):
    fake_hf.mappings[MODEL] = live("fal-ai")
    fake_hf.enqueue(Error(status))
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == key
    if status == 402:
        assert caught.value.params == {"provider": "fal-ai"}
        assert "settings/billing" in caught.value.message()
    if status == 429:
        assert caught.value.retry_after == 7.0
    assert TOKEN not in caught.value.message()


@pytest.mark.parametrize("provider", ["replicate", "wavespeed", "zai-org"])
async def test_a_failed_job_is_a_clear_error(fake_hf, make, provider):
    fake_hf.mappings[MODEL] = live(provider)
    fake_hf.enqueue(Failing("NSFW content detected"))
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.job_failed"
    assert caught.value.params["provider"] == provider
    if provider != "zai-org":  # z.ai says only FAIL
        assert caught.value.params["message"] == "NSFW content detected"


async def test_cancelling_a_replicate_job_cancels_it_on_the_provider(fake_hf, make):
    fake_hf.mappings[MODEL] = live("replicate")
    fake_hf.job_polls = 10_000
    backend = HuggingFaceBackend(HFConfig(api_key=TOKEN, model=MODEL, base_url=fake_hf.base_url, hub_url=fake_hf.base_url, poll_interval=0.01))
    running = asyncio.Event()
    task = asyncio.create_task(backend.generate(ImageRequest(prompt="p"), lambda p: running.set() if p.kind == "running" else None))
    await asyncio.wait_for(running.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: bool(fake_hf.cancelled_jobs()))
    [cancel] = [r for r in fake_hf.requests if r.route.endswith("/cancel")]
    assert cancel.route.startswith("/replicate/v1/predictions/") and cancel.headers["authorization"] == f"Bearer {TOKEN}"
    await backend.aclose()


async def test_a_trickling_server_ends_in_a_timeout(fake_hf, make):
    """A byte every 0.2 s keeps any per-read timeout happy: only the total deadline ends it."""
    fake_hf.enqueue(Trickle(interval=0.2))
    with pytest.raises(ImageError) as caught:
        await make(provider="hf-inference", read_timeout=0.6).generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.timeout", {"seconds": 0.6})


async def test_a_job_that_never_ends_hits_the_job_deadline(fake_hf, make):
    fake_hf.mappings[MODEL] = live("wavespeed")
    fake_hf.job_polls = 10_000
    backend = HuggingFaceBackend(
        HFConfig(api_key=TOKEN, model=MODEL, base_url=fake_hf.base_url, hub_url=fake_hf.base_url, job_timeout=0.3, poll_interval=0.01)
    )
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.timeout", {"seconds": 0.3})
    await backend.aclose()


async def test_a_result_url_that_is_not_http_is_refused(fake_hf, make, monkeypatch):
    fake_hf.mappings[MODEL] = live("fal-ai")
    monkeypatch.setattr(FakeHF, "_store_file", lambda self, data: "file:///etc/passwd")
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == ("images.bad_response", {"provider": "fal-ai"})


async def test_the_black_frame_retry_works_through_a_partner_provider(fake_hf, make):
    from tests.fakes.hf_server import Black

    fake_hf.mappings[MODEL] = live("together")
    fake_hf.enqueue(Black(), Png())
    image = await make().generate(ImageRequest(prompt="p", seed=3))
    first, second = (r.json["seed"] for r in fake_hf.generations)
    assert first == 3 and second != 3 and image.seed == second
