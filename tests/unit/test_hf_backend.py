"""HuggingFaceBackend and its hf-inference provider against the loopback fake: real httpx,
no internet, no mocks. The other providers and ``auto``: tests/backends/test_hf_providers.py."""

from __future__ import annotations

import asyncio
import socket
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from g2d_tui.i18n import catalogue
from g2d_tui.services.images import backend_class, make_backend
from g2d_tui.services.images.base import ImageError, ImageRequest, Progress
from g2d_tui.services.images.hf import (
    CURATED_MODELS,
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    HFConfig,
    HuggingFaceBackend,
)
from tests.fakes.hf_server import (
    Black,
    Bomb,
    Corrupt,
    Drop,
    Error,
    FakeHF,
    Hang,
    Jpeg,
    Loading,
    NotImage,
    Png,
    Redirect,
    Webp,
)

TOKEN = "hf_SuperSecretToken1234567890"
MODEL = DEFAULT_MODEL
CEILING = 60.0
"""Seconds a test waits for what should end at once: generous for a busy machine, far
shorter than the fake's hour-long hangs and cold starts."""


class FakeSleep:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleep():
    return FakeSleep()


@pytest.fixture
async def make(fake_hf, sleep):
    """Build backends pointed at the fake; they are closed after the test."""
    made: list[HuggingFaceBackend] = []

    def factory(*, sleep_fn=sleep, **overrides) -> HuggingFaceBackend:
        options = {"api_key": TOKEN, "model": MODEL, "provider": "hf-inference", "base_url": fake_hf.base_url, **overrides}
        backend = HuggingFaceBackend(HFConfig(**options), sleep=sleep_fn)
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


def assert_no_secret(error: ImageError) -> None:
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.params)
    assert TOKEN not in error.message()


# --- requests ---------------------------------------------------------------


async def test_sends_prompt_parameters_and_token(fake_hf, make):
    request = ImageRequest(
        prompt="a red fox in the snow, golden hour",
        negative_prompt="blurry, lowres",
        width=512,
        height=768,
        steps=25,
        guidance_scale=6.5,
        seed=42,
        source_request="a fox",
    )
    image = await make().generate(request)

    [sent] = fake_hf.requests
    assert sent.method == "POST"
    assert sent.path == f"/hf-inference/models/{MODEL}"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["accept"] == "image/png"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {
        "inputs": "a red fox in the snow, golden hour",
        "parameters": {
            "negative_prompt": "blurry, lowres",
            "width": 512,
            "height": 768,
            "num_inference_steps": 25,
            "guidance_scale": 6.5,
            "seed": 42,
        },
    }
    assert (image.width, image.height, image.mime, image.seed, image.model) == (512, 768, "image/png", 42, MODEL)
    assert (image.backend, image.provider, image.ignored) == ("huggingface", "hf-inference", frozenset())
    assert image.request is request
    assert image.data.startswith(b"\x89PNG")
    assert image.created.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - image.created).total_seconds()) < 60


async def test_random_seed_is_made_concrete_and_recorded(fake_hf, make):
    image = await make().generate(ImageRequest(prompt="p", width=64, height=64))
    params = fake_hf.requests[0].json["parameters"]
    assert "negative_prompt" not in params
    assert isinstance(params["seed"], int) and 0 <= params["seed"] < 2**32
    assert image.seed == params["seed"]


async def test_base_url_trailing_slash_and_client_reuse(fake_hf, make):
    backend = make(base_url=fake_hf.base_url + "/")
    await backend.generate(ImageRequest(prompt="one", width=64, height=64))
    client = backend._client
    await backend.generate(ImageRequest(prompt="two", width=64, height=64))
    assert backend._client is client
    assert [r.path for r in fake_hf.requests] == [f"/hf-inference/models/{MODEL}"] * 2
    await backend.aclose()
    await backend.generate(ImageRequest(prompt="three", width=64, height=64))  # usable again after aclose
    assert len(fake_hf.requests) == 3


async def test_the_tls_context_is_built_off_the_event_loop_and_one_client_serves_parallel_requests(
    fake_hf, make, monkeypatch
):
    """Loading the CA bundle took ~50 ms of the event loop as the first image began."""
    import threading

    from g2d_tui.services.images import transport

    import httpx

    threads: list[str] = []
    real = transport.ssl_context
    monkeypatch.setattr(transport, "ssl_context", lambda: (threads.append(threading.current_thread().name), real())[1])
    clients: list[httpx.AsyncClient] = []

    class CountedClient(httpx.AsyncClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            clients.append(self)

    monkeypatch.setattr(httpx, "AsyncClient", CountedClient)
    backend = make()
    await asyncio.gather(*(backend.generate(ImageRequest(prompt=f"p{n}", width=64, height=64)) for n in range(3)))
    await backend.generate(ImageRequest(prompt="again", width=64, height=64))
    assert len(threads) == 3 and threading.main_thread().name not in threads
    assert clients == [backend._client] and len(fake_hf.requests) == 4


@pytest.mark.parametrize("token", ["", "   "])
async def test_missing_token_fails_before_any_request(fake_hf, make, token):
    with pytest.raises(ImageError) as caught:
        await make(api_key=token).generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.no_key"
    assert fake_hf.requests == []


@pytest.mark.parametrize("token", ["hf_tokén", "hf_a\nX-Injected: 1", "hf_a b"])
async def test_malformed_token_fails_before_any_request(fake_hf, make, token):
    with pytest.raises(ImageError) as caught:
        await make(api_key=token).generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.invalid_token"
    assert fake_hf.requests == []


@pytest.mark.parametrize("model", ["../../etc", "a/b/c", "", "owner/na me", "owner/.."])
async def test_invalid_model_id_fails_before_any_request(fake_hf, make, model):
    with pytest.raises(ImageError) as caught:
        await make(model=model).generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.invalid_model"
    assert fake_hf.requests == []


async def test_invalid_base_url(make):
    with pytest.raises(ImageError) as caught:
        await make(base_url="ftp://example.invalid/x").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.invalid_url"


# --- successes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "mime"),
    [(Png(width=64, height=48), "image/png"), (Jpeg(width=64, height=48), "image/jpeg"), (Webp(width=64, height=48), "image/webp")],
    ids=["png", "jpeg", "webp"],
)
async def test_image_formats(fake_hf, make, behaviour, mime):
    fake_hf.enqueue(behaviour)
    seen: list[Progress] = []
    image = await make().generate(ImageRequest(prompt="p"), seen.append)
    assert (image.mime, image.width, image.height) == (mime, 64, 48)
    assert [p.kind for p in seen] == ["provider", "sending", "downloading", "checking"]
    assert seen[0].provider == "hf-inference"


# --- cold start -------------------------------------------------------------


async def test_cold_start_is_waited_out(fake_hf, make, sleep):
    fake_hf.enqueue(Loading(estimated_time=2.0), Loading(estimated_time=45.0), Png())
    seen: list[Progress] = []
    image = await make().generate(ImageRequest(prompt="p", seed=7), seen.append)
    assert image.seed == 7
    assert sleep.calls == [2.0, 20.0]  # capped at 20 s a step
    assert [p.kind for p in seen] == ["provider", "sending", "loading", "sending", "loading", "sending", "downloading", "checking"]
    loading = [p for p in seen if p.kind == "loading"]
    assert [(p.wait, p.waited, p.limit) for p in loading] == [(2.0, 0.0, 300.0), (20.0, 2.0, 300.0)]
    assert len(fake_hf.requests) == 3
    assert {r.json["parameters"]["seed"] for r in fake_hf.requests} == {7}


@pytest.mark.parametrize(("estimated", "expected"), [(0.1, 1.0), (None, 20.0), (-5.0, 20.0)])
async def test_cold_start_wait_is_clamped(fake_hf, make, sleep, estimated, expected):
    fake_hf.enqueue(Loading(estimated_time=estimated), Png())
    await make().generate(ImageRequest(prompt="p"))
    assert sleep.calls == [expected]


async def test_cold_start_wait_is_bounded(fake_hf, make, sleep):
    fake_hf.default = Loading(estimated_time=30.0)
    seen: list[Progress] = []
    with pytest.raises(ImageError) as caught:
        await make(max_cold_wait=45.0).generate(ImageRequest(prompt="p"), seen.append)
    assert caught.value.key == "images.cold_start_timeout"
    assert caught.value.params == {"seconds": 45}
    assert sleep.calls == [20.0, 20.0, 5.0]  # never past the limit
    assert sum(sleep.calls) == 45.0
    assert len(fake_hf.requests) == 4
    assert [p.waited for p in seen if p.kind == "loading"] == [0.0, 20.0, 40.0]


async def test_cancel_during_cold_start_wait_is_prompt(fake_hf, make):
    fake_hf.default = Loading(estimated_time=3600.0)
    backend = make(sleep_fn=asyncio.sleep)  # a real wait of an hour, unless cancelled
    loading = asyncio.Event()

    def on_progress(progress: Progress) -> None:
        if progress.kind == "loading":
            loading.set()

    task = asyncio.create_task(backend.generate(ImageRequest(prompt="p"), on_progress))
    await asyncio.wait_for(loading.wait(), timeout=CEILING)
    task.cancel()
    await asyncio.wait({task}, timeout=CEILING)  # only the cancel can end the wait this soon
    assert task.cancelled()
    assert len(fake_hf.requests) == 1


# --- safety checker ---------------------------------------------------------


async def test_black_image_is_retried_once_with_a_new_seed(fake_hf, make):
    fake_hf.enqueue(Black(), Png())
    seen: list[Progress] = []
    image = await make().generate(ImageRequest(prompt="p", seed=42), seen.append)
    first, second = (r.json["parameters"]["seed"] for r in fake_hf.requests)
    assert first == 42 and second != 42
    assert image.seed == second
    assert "retrying_black" in [p.kind for p in seen]


async def test_black_image_twice_fails(fake_hf, make):
    fake_hf.enqueue(Black(), Black(), Png())
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.black_image"
    assert len(fake_hf.requests) == 2


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "key", "params"),
    [
        (Error(401), "images.invalid_token", {}),
        (Error(402), "images.no_credits", {"provider": "hf-inference"}),
        (Error(403), "images.forbidden", {"model": MODEL}),
        (Error(404), "images.model_not_found", {"model": MODEL, "provider": "hf-inference", "default": DEFAULT_MODEL}),
        (Error(410), "images.model_not_found", {"model": MODEL, "provider": "hf-inference", "default": DEFAULT_MODEL}),
        (Error(429), "images.rate_limited_wait", {"seconds": 7}),
        (Error(429, headers={}), "images.rate_limited", {}),
        (Error(400), "images.bad_request", {"message": "Input validation error: `inputs` must be a non-empty string"}),
        (Error(422), "images.bad_request", {"message": "Error in `parameters.width`: ensure this value is a multiple of 8"}),
        (Error(400, "x" * 1000), "images.bad_request", {"message": "x" * 199 + "…"}),
        (Error(500), "images.server_error", {"code": 500}),
        (Error(502), "images.server_error", {"code": 502}),
        (Error(504), "images.server_error", {"code": 504}),
        (Error(507, ""), "images.server_error", {"code": 507}),
        (Error(503), "images.unavailable", {}),
        (Error(418), "images.unexpected_status", {"code": 418}),
        (Corrupt(), "images.corrupt", {}),
        (Bomb(), "images.too_large", {}),
        (NotImage(), "images.not_an_image", {"mime": "text/html"}),
        (Drop(), "images.connection_lost", {"host": "127.0.0.1"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_errors_map_to_catalogue_keys(fake_hf, make, behaviour, key, params):
    fake_hf.enqueue(behaviour)
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    error = caught.value
    assert (error.key, error.params) == (key, params)
    assert error.message() != key  # the catalogue has it
    assert_no_secret(error)
    assert len(fake_hf.requests) == 1  # errors are not retried


async def test_rate_limit_reports_retry_after(fake_hf, make):
    when = datetime.now(timezone.utc) + timedelta(seconds=90)
    fake_hf.enqueue(Error(429), Error(429, headers={"Retry-After": format_datetime(when, usegmt=True)}), Error(429, headers={}))
    backend = make()
    retry_afters = []
    for _ in range(3):
        with pytest.raises(ImageError) as caught:
            await backend.generate(ImageRequest(prompt="p"))
        assert caught.value.key == ("images.rate_limited" if caught.value.retry_after is None else "images.rate_limited_wait")
        retry_afters.append(caught.value.retry_after)
    assert retry_afters[0] == 7.0
    assert 80 < retry_afters[1] <= 90
    assert retry_afters[2] is None


async def test_token_echoed_by_the_server_is_redacted(fake_hf, make):
    fake_hf.enqueue(Error(400, {"error": f"Header 'Authorization: Bearer {TOKEN}' is malformed"}))
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.bad_request"
    assert "••••" in caught.value.params["message"]
    assert_no_secret(caught.value)


async def test_redirects_are_not_followed_with_the_token(fake_hf, make):
    with FakeHF() as elsewhere:
        fake_hf.enqueue(Redirect(location=f"{elsewhere.base_url}/hf-inference/models/{MODEL}"))
        with pytest.raises(ImageError) as caught:
            await make().generate(ImageRequest(prompt="p"))
        assert caught.value.key == "images.unexpected_status"
        assert caught.value.params == {"code": 307}
        assert elsewhere.requests == []
    assert len(fake_hf.requests) == 1


async def test_read_timeout(fake_hf, make):
    fake_hf.enqueue(Hang(3600))  # only the read timeout can end the request this soon
    with pytest.raises(ImageError) as caught:
        await asyncio.wait_for(make(read_timeout=0.3).generate(ImageRequest(prompt="p")), timeout=CEILING)
    assert caught.value.key == "images.timeout"
    assert caught.value.params == {"seconds": 0.3}
    # A request is still hanging in the server: stop must not wait for it.
    await asyncio.wait_for(asyncio.to_thread(fake_hf.stop), timeout=CEILING)


async def test_connection_refused(make):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImageError) as caught:
        await make(base_url=f"http://127.0.0.1:{port}").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "images.connection"
    assert caught.value.params == {"host": "127.0.0.1"}
    assert_no_secret(caught.value)


# --- registry, models and catalogue ------------------------------------------


def test_registry_builds_the_backend():
    backend = make_backend("huggingface", HFConfig(api_key="x"))
    assert isinstance(backend, HuggingFaceBackend) and backend.name == "huggingface"
    assert backend_class("huggingface") is HuggingFaceBackend
    assert "hf_secret_value" not in repr(HFConfig(api_key="hf_secret_value"))
    with pytest.raises(ImageError) as caught:
        make_backend("nope", HFConfig(api_key="x"))
    assert caught.value.key == "images.unknown_backend"


def test_defaults():
    config = HFConfig(api_key="x")
    assert (config.model, config.base_url) == (DEFAULT_MODEL, DEFAULT_BASE_URL)
    assert DEFAULT_BASE_URL == "https://router.huggingface.co"
    assert config.provider == "auto"
    assert CURATED_MODELS[0] == DEFAULT_MODEL
    assert len(set(CURATED_MODELS)) == len(CURATED_MODELS)
    assert all(model.count("/") == 1 for model in CURATED_MODELS)


def test_catalogues_have_the_same_image_keys():
    english, portuguese = catalogue("en"), catalogue("pt-BR")

    def ours(messages):
        return {key for key in messages if key.startswith(("images.", "store."))}

    assert ours(english) == ours(portuguese)
    assert len(ours(english)) >= 25
