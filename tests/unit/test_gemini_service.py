"""GeminiChat against the loopback fake: the real SDK over real HTTP, no mocks, no internet."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import os
import socket
import subprocess
import sys

import pytest

from g2d_tui import i18n
from g2d_tui.services.gemini import (
    GeminiChat,
    GeminiConfig,
    GeminiError,
    ImagePrompt,
    ReplyOutcome,
    TokenCounts,
    Turn,
    estimate_tokens,
    trim_prompt,
)
from tests.fakes.gemini_server import (
    Blocked,
    CutStream,
    Error,
    ErrorMidStream,
    FakeGemini,
    Hang,
    JsonReply,
    Reply,
)

pytestmark = pytest.mark.filterwarnings("error")

KEY = "fake-test-key-0123456789"
CEILING = 60.0
"""Seconds a condition gets before a test gives up: generous for a busy machine; a request
left hanging by the fake would take an hour."""


async def eventually(condition, what: str) -> None:
    """Sleep in small steps until ``condition()`` holds; fail after ``CEILING`` seconds."""
    deadline = asyncio.get_running_loop().time() + CEILING
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def no_asyncio_errors(caplog):
    """Nothing may reach asyncio's error log (e.g. "aclose(): ... already running")."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield
    problems = [r.getMessage() for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
    assert not problems


@pytest.fixture
async def make_chat(fake_gemini: FakeGemini):
    chats: list[GeminiChat] = []

    def make(history: list[Turn] | None = None, **overrides) -> GeminiChat:
        settings = {"api_key": KEY, "base_url": fake_gemini.base_url, "timeout": 5.0, **overrides}
        chat = GeminiChat(GeminiConfig(**settings), history)
        chats.append(chat)
        return chat

    yield make
    for chat in chats:
        await chat.aclose()


async def collect(chat: GeminiChat, text: str) -> list[str]:
    return [piece async for piece in chat.stream(text)]


async def failure(chat: GeminiChat, text: str = "hi") -> tuple[GeminiError, list[str]]:
    pieces: list[str] = []
    with pytest.raises(GeminiError) as caught:
        async for piece in chat.stream(text):
            pieces.append(piece)
    return caught.value, pieces


def assert_no_secret(error: GeminiError) -> None:
    assert KEY not in str(error)
    assert KEY not in repr(error.params)
    assert KEY not in error.message()
    assert error.__cause__ is None and error.__context__ is None  # no SDK exception leaks along


def live_sdk_generators() -> list[str]:
    return [
        g.ag_code.co_qualname
        for g in gc.get_objects()
        if inspect.isasyncgen(g) and g.ag_frame is not None and "google/genai" in g.ag_code.co_filename
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- streaming and history


async def test_streams_every_chunk_and_records_one_merged_turn(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Reply(["Hel", "lo", " there"], delay=0.05))
    assert await collect(chat, "first") == ["Hel", "lo", " there"]
    assert chat.history == [Turn("user", "first"), Turn("model", "Hello there")]
    assert chat.last_outcome == ReplyOutcome(finish_reason="STOP", cancelled=False)
    assert (chat.last_outcome.tokens_in, chat.last_outcome.tokens_out) == (5, 3)
    assert not chat.last_outcome.truncated


async def test_the_outcome_carries_token_counts_and_the_answering_model(make_chat, fake_gemini):
    """From the stream's usage metadata (the fake sends 5 prompt, 3 reply, 8 in all)."""
    chat = make_chat(model="gemini-2.5-flash")
    fake_gemini.enqueue(Reply(["One", " two"]))
    await collect(chat, "count")
    assert chat.last_outcome.tokens == TokenCounts(prompt=5, reply=3, thoughts=None, total=8)
    assert chat.last_outcome.model_version == "gemini-2.5-flash"


async def test_chunks_that_arrived_together_come_out_as_one_piece(make_chat, fake_gemini):
    """A burst is handed over at once: the UI then does one update, not one per chunk."""
    chat = make_chat()
    chunks = [f"w{n} " for n in range(200)]
    fake_gemini.enqueue(Reply(chunks))
    pieces = await collect(chat, "burst")
    assert "".join(pieces) == "".join(chunks)
    assert len(pieces) < len(chunks)
    assert chat.history[-1] == Turn("model", "".join(chunks))


async def test_a_burst_of_buffered_responses_lets_the_loop_run_between_slices(make_chat, fake_gemini, monkeypatch):
    """Buffered responses parse without awaiting the socket: the stream task still yields.

    Otherwise a fast reply parsed in one go for 100-400 ms while the UI waited.
    """
    from g2d_tui.services.gemini import stream as gemini_stream

    monkeypatch.setattr(gemini_stream, "PUMP_SLICE", 0.0)  # let the loop run after every response
    chat = make_chat()
    chunks = [f"w{n} " for n in range(300)]
    fake_gemini.enqueue(Reply(chunks))
    pieces = await collect(chat, "burst")
    assert "".join(pieces) == "".join(chunks)
    assert len(pieces) > len(chunks) // 2  # the consumer ran between responses


async def test_responses_read_ahead_of_a_busy_consumer_are_not_kept(make_chat, fake_gemini):
    """While the UI works on a piece, the stream reads on; only the text it read waits.

    Queued whole, a backlog of the SDK's responses (a few dozen objects each) stayed
    alive, and every garbage collection during the reply walked them.
    """
    from google.genai import types

    def live_responses() -> int:
        return sum(1 for obj in gc.get_objects() if isinstance(obj, types.GenerateContentResponse))

    chat = make_chat()
    chunks = [f"w{n} " for n in range(300)]
    fake_gemini.enqueue(Reply(chunks))
    pieces: list[str] = []
    gc.collect()
    before = live_responses()  # left alive by earlier tests in this process, if any
    async for piece in chat.stream("burst"):
        if not pieces:
            await asyncio.sleep(0.5)  # a busy UI: the rest of the reply arrives meanwhile
            assert live_responses() <= before + 1  # at most the one being read
        pieces.append(piece)
    assert "".join(pieces) == "".join(chunks)
    assert len(pieces) < len(chunks)  # the backlog did pile up, as text
    assert chat.history[-1] == Turn("model", "".join(chunks))


async def test_second_request_carries_history_with_merged_reply(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Reply(["One", ", two", ", three"]), Reply(["Four"]))
    await collect(chat, "count")
    await collect(chat, "more")
    first, second = fake_gemini.requests_to("stream")
    assert first.turns == [("user", "count")]
    assert second.turns == [("user", "count"), ("model", "One, two, three"), ("user", "more")]
    assert len(chat.history) == 4


async def test_default_fake_reply_shows_memory_and_markdown(make_chat):
    chat = make_chat()
    await collect(chat, "hello")
    reply = "".join(await collect(chat, "again"))
    assert "You said: **again**" in reply and "turn 2" in reply and "“hello”" in reply
    assert reply.startswith("## ") and "\n- " in reply and "```python" in reply


async def test_parameters_path_and_key_header(make_chat, fake_gemini):
    chat = make_chat(model="gemini-test", temperature=0.3, top_p=0.5, top_k=7, max_output_tokens=123)
    await collect(chat, "hi")
    (request,) = fake_gemini.requests
    assert request.method == "POST"
    assert request.path == "/v1beta/models/gemini-test:streamGenerateContent"
    assert request.query == {"alt": "sse"}
    assert request.headers["x-goog-api-key"] == KEY
    config = request.json["generationConfig"]
    assert config == {"temperature": 0.3, "topP": 0.5, "topK": 7, "maxOutputTokens": 123}


async def test_env_base_url_is_honoured_when_setting_is_empty(fake_gemini, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    chat = GeminiChat(GeminiConfig(api_key=KEY, timeout=5))
    try:
        assert await collect(chat, "x")
        assert len(fake_gemini.requests) == 1
    finally:
        await chat.aclose()


async def test_cancelling_the_consumer_keeps_partial_turn(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Reply(["a", "b", "c", "d"], delay=0.3))
    got: list[str] = []
    two = asyncio.Event()

    async def consume():
        async for piece in chat.stream("slow"):
            got.append(piece)
            if len(got) == 2:
                two.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(two.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert got == ["a", "b"]
    assert chat.history == [Turn("user", "slow"), Turn("model", "ab")]
    assert chat.last_outcome.cancelled
    for _ in range(3):
        await asyncio.sleep(0)
    assert live_sdk_generators() == []
    # The chat still works afterwards, with the partial turn in the history.
    await collect(chat, "next")
    assert fake_gemini.requests_to("stream")[-1].turns[:2] == [("user", "slow"), ("model", "ab")]


async def test_closing_the_generator_early_keeps_partial_turn(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Reply(["a", "b", "c"], delay=0.2))
    async with contextlib.aclosing(chat.stream("stop me")) as pieces:
        assert await anext(pieces) == "a"
    assert chat.history == [Turn("user", "stop me"), Turn("model", "a")]
    assert chat.last_outcome.cancelled
    assert live_sdk_generators() == []


@pytest.mark.parametrize("pump_slice", [0.0, 10.0])
async def test_stopping_mid_burst_closes_the_sdk_generators(make_chat, fake_gemini, monkeypatch, pump_slice):
    """Wherever the stream task waits (the socket, or a pause between buffered responses)."""
    from g2d_tui.services.gemini import stream as gemini_stream

    monkeypatch.setattr(gemini_stream, "PUMP_SLICE", pump_slice)
    chat = make_chat()
    fake_gemini.enqueue(Reply([f"w{n} " for n in range(400)]))
    async with contextlib.aclosing(chat.stream("stop me")) as pieces:
        assert (await anext(pieces)).startswith("w0 ")
    assert chat.last_outcome.cancelled
    for _ in range(3):
        await asyncio.sleep(0)
    assert live_sdk_generators() == []


async def test_dropping_the_generator_keeps_partial_turn(make_chat, fake_gemini):
    """A consumer cancelled outside the generator just drops it: asyncio closes it later."""
    chat = make_chat()
    fake_gemini.enqueue(Reply(["a", "b", "c"], delay=0.2))
    pieces = chat.stream("dropped")
    assert await anext(pieces) == "a"
    del pieces
    await eventually(lambda: chat.last_outcome is not None, "the dropped stream's outcome")
    assert chat.last_outcome.cancelled
    assert chat.history == [Turn("user", "dropped"), Turn("model", "a")]
    await eventually(lambda: live_sdk_generators() == [], "the SDK's generators closed")


async def test_cancel_before_any_text_leaves_history_alone(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Hang(10))
    task = asyncio.create_task(collect(chat, "never"))
    # The request is out (the first one also imports the SDK, which can take a while).
    await eventually(lambda: fake_gemini.requests, "the request")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert chat.history == []
    assert chat.last_outcome.cancelled


@pytest.mark.parametrize(
    ("finish", "notice"),
    [("SAFETY", "gemini.finish_safety"), ("MAX_TOKENS", "gemini.finish_max_tokens"), ("OTHER", "gemini.finish_other")],
)
async def test_early_finish_after_text_is_reported_not_raised(make_chat, fake_gemini, finish, notice):
    chat = make_chat()
    fake_gemini.enqueue(Reply(["Partial", " text"], finish_reason=finish))
    assert "".join(await collect(chat, "q")) == "Partial text"
    assert chat.last_outcome.finish_reason == finish
    assert chat.last_outcome.truncated and chat.last_outcome.notice_key == notice
    assert chat.history[-1] == Turn("model", "Partial text")


async def test_reset_and_reconfigure(make_chat, fake_gemini):
    chat = make_chat()
    await collect(chat, "one")
    chat.reconfigure(GeminiConfig(api_key="AIzaSy-other-key", base_url=fake_gemini.base_url, model="gemini-x"))
    await collect(chat, "two")
    request = fake_gemini.requests[-1]
    assert request.headers["x-goog-api-key"] == "AIzaSy-other-key"
    assert request.path.endswith("/models/gemini-x:streamGenerateContent")
    assert len(request.turns) == 3
    chat.reset()
    assert chat.history == [] and chat.last_outcome is None


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("behaviour", "key", "params"),
    [
        (Error.invalid_key(), "gemini.invalid_key", {}),
        (Error(401, {"error": {"code": 401, "message": "Unauthenticated", "status": "UNAUTHENTICATED"}}),
         "gemini.invalid_key", {}),
        (Error.permission_denied(), "gemini.permission_denied", {}),
        (Error.model_not_found("gemini-flash-latest"), "gemini.model_not_found", {"model": "gemini-flash-latest"}),
        (Error.rate_limited(None), "gemini.rate_limited_no_delay", {}),
        (Error.internal(), "gemini.server_error", {"code": 500}),
        (Error(502, "<html><body>502 Bad Gateway</body></html>"), "gemini.server_error", {"code": 502}),
        (Error.make(418, "TEAPOT", "I'm a teapot"), "gemini.unknown", {}),
        (Error.overloaded(), "gemini.unavailable", {}),
        (Blocked("PROHIBITED_CONTENT"), "gemini.blocked", {"reason": "PROHIBITED_CONTENT"}),
        (ErrorMidStream(["Half ", "way"]), "gemini.stream_error",
         {"message": "An internal error has occurred. Please retry or report it."}),
        (CutStream(["Half ", "way"]), "gemini.stream_cut", {}),
        (Reply([], finish_reason="SAFETY"), "gemini.blocked", {"reason": "SAFETY"}),
        (Reply([], finish_reason="MAX_TOKENS"), "gemini.empty_reply", {"reason": "MAX_TOKENS"}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_failures_map_to_keys_and_leave_history(make_chat, fake_gemini, behaviour, key, params):
    chat = make_chat(history=[Turn("user", "before"), Turn("model", "ok")])
    fake_gemini.enqueue(behaviour)
    error, _ = await failure(chat, "again")
    assert error.key == key
    assert params.items() <= error.params.items()
    assert chat.history == [Turn("user", "before"), Turn("model", "ok")]
    assert_no_secret(error)
    assert not error.message().startswith("gemini.")  # catalogued
    for _ in range(3):
        await asyncio.sleep(0)
    assert live_sdk_generators() == []


async def test_partial_text_of_failed_stream_was_yielded(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(ErrorMidStream(["Half ", "way"]))
    error, pieces = await failure(chat)
    assert "".join(pieces) == "Half way" and error.key == "gemini.stream_error"
    assert chat.last_outcome is not None and not chat.last_outcome.cancelled
    await collect(chat, "retry works")  # the client survives


async def test_rate_limit_carries_retry_delay(make_chat, fake_gemini):
    fake_gemini.enqueue(Error.rate_limited("19s"))
    error, _ = await failure(make_chat())
    assert error.key == "gemini.rate_limited"
    assert error.retry_after == 19
    assert error.params["retry"] == "19 s"
    assert "19 s" in error.message()


async def test_bad_request_message_is_redacted_and_shortened(make_chat, fake_gemini):
    fake_gemini.enqueue(Error.bad_request(f"Invalid value for key {KEY}: " + "x" * 500))
    error, _ = await failure(make_chat())
    assert error.key == "gemini.bad_request"
    assert "••••" in error.params["message"] and len(error.params["message"]) <= 200
    assert_no_secret(error)


async def test_no_key_raises_before_any_request(make_chat, fake_gemini):
    error, _ = await failure(make_chat(api_key="  "))
    assert error.key == "gemini.no_key"
    with pytest.raises(GeminiError, match="gemini.no_key"):
        await make_chat(api_key="").list_models()
    with pytest.raises(GeminiError, match="gemini.no_key"):
        await make_chat(api_key="").write_image_prompt("cat", 50)
    assert fake_gemini.requests == []


async def test_client_timeout(make_chat, fake_gemini):
    fake_gemini.enqueue(Hang(3600))  # only the client's timeout can end the request this soon
    error, _ = await asyncio.wait_for(failure(make_chat(timeout=0.3)), timeout=CEILING)
    assert error.key == "gemini.timeout" and error.params == {"seconds": "0.3"}


async def test_connection_refused_names_host_without_credentials(make_chat):
    port = free_port()
    error, _ = await failure(make_chat(base_url=f"http://user:{KEY}@127.0.0.1:{port}"))
    assert error.key == "gemini.connection"
    assert error.params == {"url": f"http://127.0.0.1:{port}"}
    assert_no_secret(error)


async def test_server_stop_during_hang_does_not_hang(make_chat, fake_gemini):
    chat = make_chat()
    fake_gemini.enqueue(Hang(3600))  # only the stop can end it this soon
    task = asyncio.create_task(failure(chat))

    await eventually(lambda: fake_gemini.requests, "the request")
    await asyncio.wait_for(asyncio.to_thread(fake_gemini.stop), timeout=CEILING)
    error, _ = await asyncio.wait_for(task, CEILING)
    assert error.key in {"gemini.stream_cut", "gemini.connection"}


# ---------------------------------------------------------------- models


async def test_list_models_filters_paginates_and_caches(make_chat, fake_gemini):
    chat = make_chat()
    models = await chat.list_models()
    names = [m.name for m in models]
    assert set(names) == {
        "gemini-2.5-flash", "gemini-2.5-pro", "gemini-flash-latest", "gemini-3-pro-preview", "gemini-3-flash-preview"
    }
    assert names[0] == "gemini-flash-latest"
    assert names.index("gemini-3-flash-preview") < names.index("gemini-2.5-flash")
    flash = next(m for m in models if m.name == "gemini-2.5-flash")
    assert (flash.display_name, flash.input_token_limit, flash.output_token_limit) == ("Gemini 2.5 Flash", 1048576, 65536)
    pages = fake_gemini.requests_to("models")
    assert len(pages) == 3  # 7 models, 3 per page
    assert pages[0].path == "/v1beta/models" and pages[1].query["pageToken"] == "3"
    assert await chat.list_models() == models
    assert len(fake_gemini.requests) == 3  # cached
    other = make_chat(api_key="AIzaSy-another-key")
    await other.list_models()
    assert len(fake_gemini.requests) == 6  # cached per key


async def test_list_models_errors_are_mapped(make_chat, fake_gemini):
    fake_gemini.enqueue(Error.invalid_key(), on="models")
    with pytest.raises(GeminiError) as caught:
        await make_chat(api_key="AIzaSy-unlisted-key").list_models()
    assert caught.value.key == "gemini.invalid_key"
    assert_no_secret(caught.value)


# ---------------------------------------------------------------- image prompts

PROMPT = {"prompt": "a red fox in snow, watercolor, soft light", "negative_prompt": "blurry, text"}


async def test_image_prompt_request_and_parse(make_chat, fake_gemini):
    chat = make_chat(history=[Turn("user", "chat"), Turn("model", "reply")])
    fake_gemini.enqueue(JsonReply(PROMPT))
    result = await chat.write_image_prompt("uma raposa vermelha na neve", 60)
    assert result == ImagePrompt(PROMPT["prompt"], PROMPT["negative_prompt"])
    (request,) = fake_gemini.requests
    assert request.path == "/v1beta/models/gemini-flash-latest:generateContent"
    assert request.turns == [("user", "uma raposa vermelha na neve")]  # no chat history
    config = request.json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseSchema"]
    assert set(schema["properties"]) == {"prompt", "negative_prompt"}
    assert set(schema["required"]) == {"prompt", "negative_prompt"}
    assert config["maxOutputTokens"] > 60
    instruction = request.json["systemInstruction"]["parts"][0]["text"]
    assert "Stable Diffusion" in instruction and "ENGLISH" in instruction and "60 tokens" in instruction
    assert chat.history == [Turn("user", "chat"), Turn("model", "reply")]


async def test_image_prompt_default_fake_reply(make_chat):
    result = await make_chat().write_image_prompt("a lighthouse", 100)
    assert result.prompt.startswith("a lighthouse,") and result.negative_prompt


async def test_image_prompt_retries_once_on_malformed_json(make_chat, fake_gemini):
    fake_gemini.enqueue(JsonReply('{"prompt": "unterminated'), JsonReply(PROMPT))
    result = await make_chat().write_image_prompt("fox", 60)
    assert result.prompt == PROMPT["prompt"]
    assert len(fake_gemini.requests_to("generate")) == 2


@pytest.mark.parametrize(
    "bad", ["not json", {"prompt": "only prompt", "negative": 1}, {"prompt": "  ", "negative_prompt": ""}, ["list"]]
)
async def test_image_prompt_fails_after_one_retry(make_chat, fake_gemini, bad):
    fake_gemini.enqueue(JsonReply(bad), JsonReply(bad), JsonReply(PROMPT))
    with pytest.raises(GeminiError) as caught:
        await make_chat().write_image_prompt("fox", 60)
    assert caught.value.key == "gemini.bad_prompt_json"
    assert len(fake_gemini.requests_to("generate")) == 2


async def test_image_prompt_is_trimmed_to_budget(make_chat, fake_gemini):
    long_prompt = ", ".join(f"detail number {i}" for i in range(80))
    fake_gemini.enqueue(JsonReply({"prompt": long_prompt, "negative_prompt": "blurry"}))
    result = await make_chat().write_image_prompt("fox", 20)
    assert estimate_tokens(result.prompt) <= 20
    assert long_prompt.startswith(result.prompt)
    assert result.prompt.endswith(tuple("0123456789"))  # cut at a comma: whole tags only
    assert result.negative_prompt == "blurry"


async def test_image_prompt_errors_are_mapped(make_chat, fake_gemini):
    fake_gemini.enqueue(Error.rate_limited("2.5s"))
    with pytest.raises(GeminiError) as caught:
        await make_chat().write_image_prompt("fox", 60)
    assert caught.value.key == "gemini.rate_limited" and caught.value.retry_after == 2.5
    fake_gemini.enqueue(Blocked("SAFETY"))
    with pytest.raises(GeminiError, match="gemini.blocked"):
        await make_chat().write_image_prompt("fox", 60)


def test_trim_prompt_edges():
    assert trim_prompt("short, prompt", 10) == "short, prompt"
    assert trim_prompt("a" * 100, 5) == "a" * 20
    assert trim_prompt("word " * 40, 5) == "word word word word"


# ---------------------------------------------------------------- module hygiene


def test_importing_the_service_is_cheap():
    code = "import sys, g2d_tui.services.gemini; print('google.genai' in sys.modules, 'textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


_FIRST_REQUESTS = """
import asyncio, sys, threading
import pydantic._internal._model_construction as construction
from g2d_tui.services.gemini import GeminiChat, GeminiConfig

built_on_loop = []
real = construction.complete_model_class
def spy(model, *args, **kwargs):
    if threading.current_thread() is threading.main_thread():
        built_on_loop.append(model.__name__)
    return real(model, *args, **kwargs)
construction.complete_model_class = spy

async def main():
    chat = GeminiChat(GeminiConfig(api_key=sys.argv[2], base_url=sys.argv[1], timeout=5.0))
    async for _ in chat.stream("hello"):
        pass
    await chat.write_image_prompt("a fox", 500)
    await chat.list_models()
    await chat.aclose()
asyncio.run(main())
print(" ".join(built_on_loop) or "none")
"""


def test_the_sdk_models_of_a_first_request_are_built_off_the_event_loop(fake_gemini):
    """Built on first use, they took ~80 ms of the event loop as the first reply began."""
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_REQUESTS, fake_gemini.base_url, KEY],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    assert out.split() == ["none"]


def test_catalogue_has_every_key_in_both_languages():
    en = {k for k in i18n.catalogue("en") if k.startswith("gemini.")}
    pt = {k for k in i18n.catalogue("pt-BR") if k.startswith("gemini.")}
    assert en == pt
    expected = {
        "no_key", "invalid_key", "permission_denied", "model_not_found", "rate_limited", "rate_limited_no_delay",
        "bad_request", "server_error", "unavailable", "timeout", "connection", "stream_cut", "stream_error",
        "blocked", "empty_reply", "bad_prompt_json", "unknown",
        "finish_max_tokens", "finish_safety", "finish_recitation", "finish_blocked", "finish_other",
    }
    assert {f"gemini.{k}" for k in expected} <= en
    params = {"model": "m", "retry": "5 s", "message": "msg", "code": 500, "seconds": "1", "url": "u", "reason": "R"}
    for language in ("en", "pt-BR"):
        i18n.set_language(language)
        for key in en:
            assert "{" not in i18n.t(key, **params), key


def test_the_sdk_is_imported_without_aiohttp_which_stays_importable():
    """google-genai would import aiohttp (~0.2 s) for a transport our clients never use."""
    code = (
        "import sys\n"
        "from g2d_tui.services.gemini import GeminiConfig, _build_client\n"
        "_build_client(GeminiConfig(api_key='AIza-x')).close()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('aiohttp')}))\n"
        "import importlib.util\n"
        "print(importlib.util.find_spec('aiohttp') is None or __import__('aiohttp') is not None)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "True"]


def test_a_server_out_of_reach_is_named_so_with_aiohttp_loaded_and_no_tuning():
    """The web mode imports aiohttp before the SDK; the SDK would then pick it as its
    transport, where a refused connection reads as a reply cut off. The client gives the
    SDK an httpx transport itself, with or without the tuning layer."""
    code = (
        "import asyncio, sys, aiohttp\n"
        "from g2d_tui.services.gemini import GeminiChat, GeminiConfig, GeminiError\n"
        f"chat = GeminiChat(GeminiConfig(api_key='AIza-x', base_url='http://127.0.0.1:{free_port()}'))\n"
        "async def main():\n"
        "    try:\n"
        "        async for _ in chat.stream('hi'):\n"
        "            pass\n"
        "    except GeminiError as error:\n"
        "        print(error.key)\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "G2D_TUI_NO_TUNING": "1"}
    env.pop("GOOGLE_GENAI_HTTP_CLIENT", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["gemini.connection"]
