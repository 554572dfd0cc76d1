"""The history Gemini is sent: kept, trimmed to a budget, resumed; and the reply's deadlines."""

from __future__ import annotations

import pytest

from g2d_tui.services.gemini import ChatHistory, GeminiChat, GeminiConfig, GeminiError, Turn
from tests.fakes.gemini_server import Reply

KEY = "AIzaFAKE-history-key-0000"


@pytest.fixture
async def chat_with(fake_gemini):
    chats: list[GeminiChat] = []

    def make(history=None, **overrides) -> GeminiChat:
        config = GeminiConfig(**{"api_key": KEY, "base_url": fake_gemini.base_url, "timeout": 5.0, **overrides})
        chats.append(GeminiChat(config, history))
        return chats[-1]

    yield make
    for chat in chats:
        await chat.aclose()


async def _send(chat: GeminiChat, text: str) -> str:
    return "".join([piece async for piece in chat.stream(text)])


def test_a_resumed_history_keeps_answered_pairs_only():
    history = ChatHistory([
        Turn("user", "unanswered"),  # its reply failed: never sent
        Turn("user", "one"), Turn("model", "1"),
        Turn("model", "orphan"),  # no question before it
        Turn("user", "two"), Turn("model", "2"),
        Turn("user", "last, no answer yet"),
    ])
    assert history.turns == [Turn("user", "one"), Turn("model", "1"), Turn("user", "two"), Turn("model", "2")]


async def test_old_turns_are_left_out_whole_to_fit_the_budget(chat_with, fake_gemini):
    old = [Turn(role, f"{role} {n} " + "word " * 50) for n in range(6) for role in ("user", "model")]
    chat = chat_with(history=old, max_history_tokens=250)
    fake_gemini.enqueue(Reply(["ok"]))
    assert await _send(chat, "new question") == "ok"
    sent = fake_gemini.requests_to("stream")[-1].turns
    assert sent[-1] == ("user", "new question")
    assert sent[0][0] == "user" and len(sent) % 2 == 1  # whole exchanges, starting with the user
    assert 1 < len(sent) < len(old) + 1
    dropped = chat.last_outcome.dropped_turns
    assert dropped == len(old) + 1 - len(sent) and dropped % 2 == 0
    assert len(chat.history) == len(old) + 2  # nothing is forgotten, only not sent


async def test_without_a_budget_everything_is_sent(chat_with, fake_gemini):
    old = [Turn("user", "q"), Turn("model", "a")]
    chat = chat_with(history=old)
    fake_gemini.enqueue(Reply(["fine"]))
    await _send(chat, "next")
    assert fake_gemini.requests_to("stream")[-1].turns == [("user", "q"), ("model", "a"), ("user", "next")]
    assert chat.last_outcome.dropped_turns == 0


async def test_a_reply_that_stops_coming_ends_in_a_clear_error_and_keeps_what_came(chat_with, fake_gemini):
    chat = chat_with(timeout=0.5)
    fake_gemini.enqueue(Reply(["first part", " never"], delay=3.0))
    pieces: list[str] = []
    with pytest.raises(GeminiError) as caught:
        async for piece in chat.stream("hello"):
            pieces.append(piece)
    assert caught.value.key == "gemini.stalled" and pieces == ["first part"]
    assert chat.history == [Turn("user", "hello"), Turn("model", "first part")]


async def test_a_reply_that_trickles_past_its_deadline_is_stopped(chat_with, fake_gemini):
    chat = chat_with(timeout=2.0, reply_deadline=1.0)
    fake_gemini.enqueue(Reply([f"w{n} " for n in range(40)], delay=0.1))  # each part in time, the whole too slow
    with pytest.raises(GeminiError) as caught:
        await _send(chat, "hello")
    assert caught.value.key == "gemini.reply_deadline"
    assert chat.last_outcome is not None and chat.history[-1].role == "model"


async def test_no_answer_at_all_is_a_timeout_not_a_stall(chat_with, fake_gemini):
    from tests.fakes.gemini_server import Hang

    chat = chat_with(timeout=0.5)
    fake_gemini.enqueue(Hang(5))
    with pytest.raises(GeminiError) as caught:
        await _send(chat, "hello")
    assert caught.value.key == "gemini.timeout"
    assert chat.history == []
