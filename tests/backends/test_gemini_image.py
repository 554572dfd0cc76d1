"""Gemini native image output through the real google-genai SDK, against a loopback fake."""

from __future__ import annotations

import base64

import pytest

from g2d_tui.services.images.base import ImageError, ImageRequest
from g2d_tui.services.images.gemini_image import GeminiImageBackend, GeminiImageConfig, nearest_aspect_ratio
from tests.backends.helpers import closed_port, params_line, saved_texts
from tests.fakes.gemini_image_server import Blocked, Finish, GeminiError, Hang, Picture, Said

KEY = "AIzaFAKE-image-key-0000000000"


@pytest.fixture
async def make(fake_gemini_image):
    made: list[GeminiImageBackend] = []

    def factory(**overrides) -> GeminiImageBackend:
        backend = GeminiImageBackend(GeminiImageConfig(**{"api_key": KEY, "base_url": fake_gemini_image.base_url, **overrides}))
        made.append(backend)
        return backend

    yield factory
    for backend in made:
        await backend.aclose()


async def test_draws_to_a_saved_png_that_claims_only_what_gemini_used(fake_gemini_image, make, tmp_path):
    request = ImageRequest(prompt="a fox", negative_prompt="blurry", width=1920, height=1080, steps=50, guidance_scale=9, seed=3)
    image = await make().generate(request)

    [sent] = fake_gemini_image.generations()
    assert sent.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert sent.headers["x-goog-api-key"] == KEY
    assert sent.json["generationConfig"] == {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "16:9"}}
    assert sent.json["contents"] == [{"parts": [{"text": "a fox"}], "role": "user"}]
    assert image.data == fake_gemini_image.pictures[-1]  # the bytes exactly as sent
    assert (image.mime, image.backend, image.seed, image.width, image.height) == ("image/png", "gemini", -1, 112, 63)
    assert image.ignored == {"negative_prompt", "steps", "guidance_scale", "seed"}
    texts = saved_texts(image, tmp_path)
    assert texts["parameters"] == "a fox\nSize: 112x63, Model: gemini-2.5-flash-image, Backend: gemini"
    assert "Steps" not in params_line(texts)


async def test_the_mime_comes_from_the_part(fake_gemini_image, make):
    fake_gemini_image.enqueue(Picture(mime="image/jpeg"))
    image = await make().generate(ImageRequest(prompt="p"))
    assert image.mime == "image/jpeg" and image.data == fake_gemini_image.pictures[-1]


async def test_a_draft_shown_while_thinking_is_not_the_picture(fake_gemini_image, make):
    fake_gemini_image.enqueue(Picture(thought_first=True))
    image = await make().generate(ImageRequest(prompt="p", width=64, height=64))
    assert image.data == fake_gemini_image.pictures[-1] and image.width == 64


@pytest.mark.parametrize(
    ("behaviour", "key", "params"),
    [
        (Blocked("PROHIBITED_CONTENT"), "images.gemini_blocked", {"reason": "PROHIBITED_CONTENT"}),
        (Finish("IMAGE_SAFETY"), "images.gemini_blocked", {"reason": "IMAGE_SAFETY"}),
        (Finish("NO_IMAGE"), "images.gemini_no_image", {"reason": "NO_IMAGE"}),
        (Said("I cannot draw that."), "images.gemini_no_image_said", {"message": "I cannot draw that."}),
        (GeminiError(404, "NOT_FOUND", "models/x is not found"), "images.gemini_model_not_found", {"model": "gemini-2.5-flash-image"}),
        (GeminiError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."), "gemini.invalid_key", {}),
        (GeminiError(503, "UNAVAILABLE", "overloaded"), "gemini.unavailable", {"code": 503}),
    ],
)
async def test_failures_are_clear_errors(fake_gemini_image, make, behaviour, key, params):
    fake_gemini_image.enqueue(behaviour)
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert (caught.value.key, caught.value.params) == (key, params)
    assert KEY not in caught.value.message()


async def test_quota_errors_carry_the_wait(fake_gemini_image, make):
    fake_gemini_image.enqueue(GeminiError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota."))
    with pytest.raises(ImageError) as caught:
        await make().generate(ImageRequest(prompt="p"))
    assert caught.value.key.startswith("gemini.rate_limited")


async def test_no_key(make):
    with pytest.raises(ImageError) as caught:
        await make(api_key=" ").generate(ImageRequest(prompt="p"))
    assert caught.value.key == "gemini.no_key"


async def test_server_down():
    backend = GeminiImageBackend(GeminiImageConfig(api_key=KEY, base_url=f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest(prompt="p"))
    assert caught.value.key == "gemini.connection"
    await backend.aclose()


async def test_a_silent_server_ends_in_the_total_timeout(fake_gemini_image, make):
    fake_gemini_image.enqueue(Hang(30))
    with pytest.raises(ImageError) as caught:
        await make(timeout=0.5).generate(ImageRequest(prompt="p"))
    assert caught.value.key in ("images.timeout", "gemini.timeout")


async def test_edit_sends_the_picture_and_records_its_parent(fake_gemini_image, make, tmp_path):
    backend = make()
    first = await backend.generate(ImageRequest(prompt="a fox", width=64, height=64))
    edited = await backend.edit(first.data, first.mime, "make it night", parent="20250101-a-fox.png")
    sent = fake_gemini_image.generations()[-1].json
    [parts] = [content["parts"] for content in sent["contents"]]
    blob = parts[0]["inlineData"]
    assert blob.get("mimeType", blob.get("mime_type")) == "image/png" and parts[1] == {"text": "make it night"}
    assert base64.urlsafe_b64decode(blob["data"] + "=" * (-len(blob["data"]) % 4)) == first.data
    assert edited.parent == "20250101-a-fox.png" and edited.request.prompt == "make it night"
    assert edited.data == fake_gemini_image.pictures[-1]
    assert "Edited from: 20250101-a-fox.png" in params_line(saved_texts(edited, tmp_path))


async def test_models_for_the_picker_are_the_image_ones(make):
    assert await make().list_models() == ["gemini-3-pro-image-preview", "gemini-2.5-flash-image"]


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((1024, 1024), "1:1"), ((1920, 1080), "16:9"), ((1080, 1920), "9:16"), ((768, 512), "3:2"), ((2048, 880), "21:9"), ((1000, 800), "5:4")],
)
def test_nearest_aspect_ratio(size, ratio):
    assert nearest_aspect_ratio(*size) == ratio
