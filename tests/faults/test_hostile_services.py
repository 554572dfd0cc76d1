"""The services against hostile servers: what they hand the UI holds no control character.

Outside text is cleaned once, where it enters (the service that received it). Tests
that fail today because a service does not clean yet are marked ``xfail(strict=True)``:
they flip to a failure ("XPASS strict") as soon as the service is fixed, so the marker
is removed with the fix.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from g2d_tui.services.gemini import GeminiChat, GeminiConfig, GeminiError
from g2d_tui.services.images.base import ImageError, ImageRequest
from g2d_tui.services.images.hf import HFConfig, HuggingFaceBackend
from tests.fakes import gemini_server as fg
from tests.fakes import hf_server as fh
from tests.fakes.hostile import contains_raw_control

KEY = "fake-hostile-test-key-0123456789"  # no real key shape: only the test needs to find it
TOKEN = "hf_hostile_test_token_0123456789"


def _texts(error: Any) -> list[str]:
    """The message and every text parameter of a ServiceError."""
    return [error.message(), *(str(value) for value in error.params.values())]


def _dirty(texts: list[str]) -> list[str]:
    return [text for text in texts if contains_raw_control(text)]


@pytest.fixture
async def chat(fake_gemini):
    chat = GeminiChat(GeminiConfig(api_key=KEY, base_url=fake_gemini.base_url, timeout=5.0))
    yield chat
    await chat.aclose()


@pytest.fixture
async def backend(fake_hf):
    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    backend = HuggingFaceBackend(HFConfig(api_key=TOKEN, base_url=fake_hf.base_url, hub_url=fake_hf.base_url, provider="hf-inference", max_cold_wait=0.05), sleep=no_wait)
    yield backend
    await backend.aclose()


async def _stream_error(chat: GeminiChat) -> GeminiError:
    with pytest.raises(GeminiError) as caught:
        async for _piece in chat.stream("hi"):
            pass
    return caught.value


# -- the fakes themselves ------------------------------------------------------------------


def test_hostile_modes_are_checked():
    with pytest.raises(ValueError):
        fg.FakeGemini(hostile={"nonsense"})
    with pytest.raises(ValueError):
        fh.FakeHF().set_hostile("nonsense")


def test_trickled_bodies_arrive_whole_a_byte_at_a_time():
    import httpx

    with fg.FakeGemini(hostile={"trickle", "models"}, trickle_interval=0.005) as fake:
        with httpx.Client() as client, client.stream("GET", f"{fake.base_url}/v1beta/models?pageSize=1") as response:
            reads = list(response.iter_raw())
        assert len(reads) > 10  # came in pieces
        assert b"".join(reads).startswith(b'{"models"')
    with fh.FakeHF(require_auth=False, hostile={"trickle", "bomb"}, trickle_interval=0.0005) as fake:
        response = httpx.post(f"{fake.base_url}/hf-inference/models/a/b", json={"inputs": "x"})
        assert response.content == fh.bomb_png(*fh.HUGE_DECODE)


@pytest.mark.parametrize("module", [fg, fh])
def test_the_command_line_refuses_unknown_hostile_modes(module, capsys):
    with pytest.raises(SystemExit) as caught:
        module.main(["--port", "0", "--hostile", "text,bogus"])
    assert caught.value.code == 2
    assert "bogus" in capsys.readouterr().err


# -- Gemini ---------------------------------------------------------------------------------

"""Statuses whose message is ours alone (the server's words are not shown)."""


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(status)
        for status in fg.ERROR_STATUSES
    ],
)
async def test_gemini_error_messages_are_clean(fake_gemini, chat, status):
    fake_gemini.set_hostile("errors")
    fake_gemini.error_status = status
    error = await _stream_error(chat)
    assert error.key.startswith("gemini.")
    assert not _dirty(_texts(error))


async def test_gemini_error_mid_stream_is_clean(fake_gemini, chat):
    fake_gemini.enqueue(fg.ErrorMidStream(error_body=fg.hostile_error(400).body))
    error = await _stream_error(chat)
    assert not _dirty(_texts(error))


async def test_gemini_reply_text_is_clean_even_when_sequences_are_cut_across_chunks(fake_gemini, chat):
    fake_gemini.set_hostile("text")
    pieces = [piece async for piece in chat.stream("hi")]
    assert "[/x]" in "".join(pieces)  # markup stays as text: the widget shows it, never parses it
    assert not _dirty(pieces)
    assert not _dirty([turn.text for turn in chat.history])


async def test_gemini_hostile_finish_reason_is_clean(fake_gemini, chat):
    fake_gemini.set_hostile("finish")
    pieces = [piece async for piece in chat.stream("hi")]
    assert pieces
    outcome = chat.last_outcome
    assert outcome is not None and outcome.truncated
    assert not _dirty([outcome.finish_reason or ""])


async def test_gemini_image_prompt_is_clean(fake_gemini, chat):
    fake_gemini.set_hostile("prompt")
    prompt = await chat.write_image_prompt("a castle", 300)
    assert not _dirty([prompt.prompt, prompt.negative_prompt])


async def test_gemini_model_names_are_clean(fake_gemini, chat):
    fake_gemini.set_hostile("models")
    models = await chat.list_models(refresh=True)
    assert len(models) == len(fg.hostile_models())
    assert not _dirty([text for model in models for text in (model.name, model.display_name)])


async def test_a_hostile_server_gets_no_key_in_what_the_services_report(fake_gemini, chat):
    fake_gemini.set_hostile("errors")
    for _status in fg.ERROR_STATUSES:
        error = await _stream_error(chat)
        assert all(KEY not in text for text in _texts(error))


async def test_gemini_trickling_stream_ends_in_a_timeout(fake_gemini):
    fake_gemini.trickle_interval = 0.2
    fake_gemini.set_hostile("trickle")
    chat = GeminiChat(GeminiConfig(api_key=KEY, base_url=fake_gemini.base_url, timeout=1.0))
    try:
        error = await asyncio.wait_for(_stream_error(chat), timeout=8)
    finally:
        await chat.aclose()
    assert error.key == "gemini.timeout"


# -- Hugging Face ---------------------------------------------------------------------------



@pytest.mark.parametrize(
    "status",
    [
        pytest.param(status)
        for status in fh.ERROR_STATUSES
    ],
)
async def test_hf_error_messages_are_clean(fake_hf, backend, status):
    fake_hf.enqueue(fh.HostileError(status))
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest("a castle", width=64, height=64))
    assert caught.value.key.startswith("images.")
    assert not _dirty(_texts(caught.value))


async def test_hf_hostile_cold_start_message_is_not_shown(fake_hf, backend):
    fake_hf.set_hostile("loading")
    progress: list[Any] = []
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest("a castle", width=64, height=64), progress.append)
    assert caught.value.key == "images.cold_start_timeout"
    assert not _dirty(_texts(caught.value))


async def test_hf_png_that_decodes_to_9400_square_is_refused(fake_hf, backend):
    fake_hf.set_hostile("bomb")
    with pytest.raises(ImageError) as caught:
        await backend.generate(ImageRequest("a castle", width=1024, height=1024))
    assert caught.value.key == "images.too_large"


async def test_hf_png_with_a_10_mb_text_chunk_is_usable_and_its_text_not_kept_decoded(fake_hf, backend):
    fake_hf.set_hostile("big-text")
    image = await backend.generate(ImageRequest("a castle", width=64, height=64))
    assert (image.width, image.height) == (64, 64)
    assert image.preview is not None and image.preview.info == {}


async def test_hf_trickling_download_ends_in_a_timeout(fake_hf):
    fake_hf.trickle_interval = 0.2
    fake_hf.set_hostile("trickle")
    backend = HuggingFaceBackend(HFConfig(api_key=TOKEN, base_url=fake_hf.base_url, hub_url=fake_hf.base_url, provider="hf-inference", read_timeout=1.0))
    try:
        with pytest.raises(ImageError) as caught:
            await asyncio.wait_for(backend.generate(ImageRequest("a castle", width=64, height=64)), timeout=8)
    finally:
        await backend.aclose()
    assert caught.value.key == "images.timeout"


async def test_gemini_a_100000_model_list_is_cut_short(fake_gemini, chat):
    fake_gemini.set_hostile("many-models")
    models = await asyncio.wait_for(chat.list_models(refresh=True), timeout=10)
    assert len(models) <= 1000
    assert len(fake_gemini.requests_to("models")) <= 10


def test_the_many_models_mode_pages_like_the_real_api():
    fake = fg.FakeGemini(hostile={"many-models"})
    assert len(fake.models) == fg.MANY_MODELS and fake.page_size == fg.REAL_MAX_PAGE_SIZE
