"""The tuning seam: every piece takes on the pinned Textual, and the app works without any."""

from __future__ import annotations

import subprocess
import sys

import pytest

from g2d_tui import hooks, tuning
from tests.fakes.gemini_server import Reply
from tests.ui.helpers import entries, keyed_settings, make_app, send, settle


def test_every_piece_takes_on_the_pinned_textual():
    """A piece returns None when the code it replaces changed upstream; here none may.
    (The suite applies tuning as the entry point does; the terminal probe needs a terminal.)"""
    assert set(tuning.applied()) == set(tuning.names()) - {"terminal-probe"}


@pytest.mark.untuned_too
def test_the_entry_point_applies_every_piece_and_none_with_no_tuning():
    code = (
        "import sys\n"
        "from g2d_tui import tuning\n"
        "tuning.apply()\n"
        "print(','.join(sorted(tuning.applied())))\n"
    )
    tuned = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert set(tuned.split(",")) == set(tuning.names())
    assert not tuning.wanted(["--no-tuning"]) and not tuning.wanted([], {"G2D_TUI_NO_TUNING": "1"})
    assert tuning.wanted([], {"G2D_TUI_NO_TUNING": "0"}) and tuning.wanted([], {})
    assert tuning.pieces_off({"G2D_TUI_TUNING_OFF": "gc-policy, footer"}) == {"gc-policy", "footer"}


@pytest.fixture
def without_tuning():
    """Every piece undone for the test, put back after it (the suite runs tuned)."""
    applied = set(tuning.applied())
    tuning.remove()
    assert not tuning.applied() and hooks.slot("gemini_stream") is None
    yield
    tuning.apply(without=set(tuning.names()) - applied)


@pytest.mark.untuned_too
async def test_the_app_chats_draws_and_resumes_with_the_whole_layer_off(without_tuning, fake_gemini, fake_hf, tmp_path):
    fake_gemini.enqueue(Reply(["## Hello\n\n", "- one\n- two\n\n", "```python\nprint(1)\n```\n"]))
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path)
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hello there")
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        [reply] = entries(app, "model")
        assert reply.turn.state == "complete" and "print(1)" in reply.turn.text
        [card] = entries(app, "image")
        assert card.run.state == "shown" and card.run.saved
    again = make_app()
    async with again.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert [entry.turn.text for entry in entries(again, "user")] == ["hello there", "/imagine a lighthouse"]
        fake_gemini.enqueue(Reply(["again"]))
        await send(pilot, "and now?")
        await settle(pilot)
        sent = fake_gemini.requests_to("stream")[-1].turns
        assert sent[:2] == [("user", "hello there"), ("model", reply.turn.text)]
