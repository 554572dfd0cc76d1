"""Gemini chat faults through the real UI: real SDK over real HTTP to the loopback fake.

Each case: one good exchange first, then the fault. Checks (1) a specific message on
screen, (2) "hello" still gets a finished reply, (3) the typed text is back in the
input and the first exchange is untouched, (4) the settings file is byte-identical.

Read timeout: the app's GeminiConfig has a 60 s timeout; FaultApp (helpers.py) returns
the same config with ``timeout=1`` from ``gemini_config()`` — no app code changed.
"""

from __future__ import annotations

from g2d_tui.i18n import t
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt
from tests.ui.helpers import entries
from tests.fakes.gemini_server import Blocked, CutStream, Error, ErrorMidStream, FakeGemini, Hang, Reply
from tests.faults.helpers import (
    SIZE,
    assert_earlier_intact,
    assert_hello_works,
    config_bytes,
    first_exchange,
    keyed_settings,
    make_app,
    notes,
    prompt_text,
    reply_status,
    send,
    settle,
)

TYPED = "a question worth keeping — ünïcode ✨"

# (id, behaviour on the stream endpoint, words from the catalogue message)
FAILURES = [
    ("invalid-key", Error.invalid_key(), "Gemini rejected the API key"),
    ("permission-403", Error.permission_denied(), "may not use Gemini (permission denied)"),
    ("model-404", Error.model_not_found("gemini-flash-latest"), "has no model “gemini-flash-latest”"),
    ("rate-limit-429", Error.rate_limited("19s"), "Try again in 19 s"),
    ("internal-500", Error.internal(), "internal error (HTTP 500)"),
    ("overloaded-503", Error.overloaded(), "Gemini is overloaded right now"),
    ("read-timeout", Hang(seconds=15), "did not answer within 1 s"),
    ("prompt-blocked", Blocked("SAFETY"), "blocked this prompt (reason: SAFETY)"),
]


async def test_chat_failures_are_explained_text_restored_and_app_usable(fake_gemini):
    """Every failure of FAILURES in turn, in one session: the app recovers each time."""
    app = make_app(keyed_settings(fake_gemini.base_url), gemini_timeout=1.0)
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        user, reply, reply_text = await first_exchange(pilot, fake_gemini)
        for case, behaviour, words in FAILURES:
            shown_before = len(entries(app, "note"))
            replies_before = len(entries(app, "model"))
            fake_gemini.enqueue(behaviour, on="stream")
            await send(pilot, TYPED)
            await settle(pilot)
            screen = app.screen
            new_notes = "\n".join(t(n.key, **n.params) for n in entries(app, "note")[shown_before:])
            assert words in new_notes, (case, new_notes)
            assert prompt_text(app) == TYPED, case
            failed = entries(app, "user")[-1]
            assert failed.turn.text == TYPED and failed.turn.state == "failed", case
            assert failed.widget is not None and failed.widget.has_class("-failed"), case
            assert len(entries(app, "model")) == replies_before, case  # the empty reply was removed
            assert_earlier_intact(app, user, reply, reply_text)
            assert not screen.busy, case
            assert any(words in str(n.message) for n in app._notifications), case
            hello = await assert_hello_works(pilot, fake_gemini)
            assert_earlier_intact(app, user, reply, reply_text)
            assert config_bytes() == before, case
            # The failed turn was not remembered: "hello" went out after the good exchanges only.
            roles = [role for role, _ in hello.turns]
            assert roles == ["user", "model"] * (len(roles) // 2) + ["user"], case
            assert TYPED not in [text for _, text in hello.turns], case
    assert config_bytes() == before


PARTIAL = [
    ("error-mid-stream", ErrorMidStream(chunks=["Partial ", "answer"]), "error in the middle of the answer"),
    ("stream-cut", CutStream(chunks=["Partial ", "answer"]), "connection dropped before Gemini finished"),
]

TRUNCATED = [
    ("safety-after-text", "SAFETY", "stopped this reply for safety reasons"),
    ("max-tokens", "MAX_TOKENS", "hit the output token limit"),
]


async def test_stream_failing_midway_keeps_partial_text_and_restores_input(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url), gemini_timeout=5)
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        user, reply, reply_text = await first_exchange(pilot, fake_gemini)
        for case, behaviour, words in PARTIAL:
            fake_gemini.enqueue(behaviour, on="stream")
            await send(pilot, TYPED)
            await settle(pilot)
            screen = app.screen
            assert words in notes(screen), (case, notes(screen))
            partial = screen.query(GeminiReply).last()
            assert partial is not reply, case
            assert partial.text == "Partial answer" and partial.has_class("-failed"), case
            assert prompt_text(app) == TYPED, case
            assert screen.query(UserPrompt).last().has_class("-failed"), case
            assert_earlier_intact(app, user, reply, reply_text)
            hello = await assert_hello_works(pilot, fake_gemini)
            # the failed partial turn was not remembered
            assert "Partial answer" not in [text for _, text in hello.turns], case
    assert config_bytes() == before


async def test_reply_stopped_early_keeps_text_and_says_why(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for case, reason, words in TRUNCATED:
            fake_gemini.enqueue(Reply(chunks=["Some ", f"text {case}"], finish_reason=reason), on="stream")
            await send(pilot, TYPED)
            await settle(pilot)
            reply = app.screen.query(GeminiReply).last()
            assert reply.has_class("-truncated"), case
            assert reply.text == f"Some text {case}", case
            assert words in reply_status(reply), (case, reply_status(reply))
            # Not a failed send: the text was delivered and answered, so the input is free.
            assert prompt_text(app) == "", case
            assert not app.screen.query(UserPrompt).last().has_class("-failed"), case
            hello = await assert_hello_works(pilot, fake_gemini)
            assert reply.is_mounted and reply.has_class("-truncated"), case
            # The partial answer is part of the conversation Gemini sees next.
            assert hello.turns[-2] == ("model", f"Some text {case}"), case
    assert config_bytes() == before


async def test_connection_refused_is_explained_and_chat_works_once_the_server_is_up():
    """A closed port as the endpoint; then a server appears on that port and "hello" works."""
    import socket

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    port = holder.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = make_app(keyed_settings(url), gemini_timeout=5)
    before = config_bytes()
    server = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            # The model list failed at startup too: that is a warning, with the reason.
            assert "Could not list the Gemini models" in notes(app.screen)
            await send(pilot, TYPED)
            await settle(pilot)
            assert f"Could not reach Gemini at http://127.0.0.1:{port}" in notes(app.screen)
            assert prompt_text(app) == TYPED
            assert app.screen.query_one(UserPrompt).has_class("-failed")
            assert not app.screen.query(GeminiReply)
            holder.close()
            server = FakeGemini(port=port).start()
            await assert_hello_works(pilot, server)
    finally:
        holder.close()
        if server is not None:
            server.stop()
    assert config_bytes() == before


async def test_model_list_failure_is_a_warning_and_chat_still_works(fake_gemini):
    fake_gemini.enqueue(Error.permission_denied(), on="models")
    app = make_app(keyed_settings(fake_gemini.base_url))
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Could not list the Gemini models" in notes(app.screen)
        assert "permission denied" in notes(app.screen)
        await assert_hello_works(pilot, fake_gemini)
    assert config_bytes() == before


