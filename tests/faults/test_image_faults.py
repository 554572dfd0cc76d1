"""Hugging Face faults through /imagine in the real UI: fake Gemini writes the prompt, fake HF fails.

Each case checks (1) the card's status names the problem in the catalogue's words,
(2) a normal chat message still gets a finished reply, (3) the typed ``/imagine`` text
is back in the input and the first exchange is untouched, (4) the settings file is
byte-identical, and nothing was written to the images folder.

Read timeout: FaultApp (helpers.py) gives the backend the app built an ``HFConfig``
with ``read_timeout=1`` before its HTTP client exists — no app code changed.
"""

from __future__ import annotations

from g2d_tui.widgets.image_card import ImageCard
from g2d_tui.widgets.turns import UserPrompt
from tests.fakes.hf_server import Black, Bomb, Corrupt, Drop, Error, Hang, Loading, NotImage, Png
from tests.faults.helpers import (
    SIZE,
    assert_earlier_intact,
    assert_hello_works,
    card_status,
    config_bytes,
    first_exchange,
    keyed_settings,
    make_app,
    prompt_text,
    send,
    settle,
    wait_until,
)

TYPED = "/imagine a boat at dawn"

# (id, behaviours queued on the HF fake, words from the catalogue message, requests it takes)
FAILURES = [
    ("invalid-token-401", [Error(401)], "Hugging Face rejected the token", 1),
    ("no-credits-402", [Error(402)], "inference credits are used up", 1),
    ("model-404", [Error(404)], "is not served by the provider", 1),
    ("rate-limited-429", [Error(429)], "Too many requests to Hugging Face. Try again in 7 s", 1),
    ("read-timeout", [Hang(seconds=15)], "did not answer in full within 1 s", 1),
    ("corrupt-bytes", [Corrupt()], "damaged or incomplete", 1),
    ("decompression-bomb", [Bomb()], "too large to open safely", 1),
    ("black-twice", [Black(), Black()], "blocked the image twice", 2),
    ("not-an-image", [NotImage()], "answered with text/html instead of an image", 1),
    ("dropped-body", [Drop()], "dropped before the image arrived", 1),
]


def _app(fake_gemini, fake_hf, folder, **kwargs):
    return make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder), **kwargs)


async def test_image_failures_are_explained_text_restored_and_app_usable(fake_gemini, fake_hf, tmp_path):
    folder = tmp_path / "pics"
    app = _app(fake_gemini, fake_hf, folder, hf_read_timeout=1.0)
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        user, reply, reply_text = await first_exchange(pilot, fake_gemini)
        for case, behaviours, words, requests in FAILURES:
            sent_before = len(fake_hf.requests)
            fake_hf.enqueue(*behaviours)
            await send(pilot, TYPED)
            await settle(pilot)
            screen = app.screen
            card = screen.query(ImageCard).last()
            status = card_status(card)
            assert card.state == "error", (case, status)
            assert words in status, (case, status)
            assert card.image is None and card.saved_path is None, case
            assert prompt_text(app) == TYPED, case
            failed = screen.query(UserPrompt).last()
            assert failed.text == TYPED and failed.has_class("-failed"), case
            assert any(words in str(n.message) for n in app._notifications), case
            assert screen.imagining == 0, case
            assert len(fake_hf.requests) - sent_before == requests, case
            assert fake_hf.pending() == 0, case
            assert_earlier_intact(app, user, reply, reply_text)
            await assert_hello_works(pilot, fake_gemini)
            assert card.is_mounted and card.state == "error", case  # the failed card stays as a record
            assert config_bytes() == before, case
        assert not folder.exists() or not list(folder.iterdir())
        # After all that, /imagine itself works again.
        await send(pilot, TYPED)
        await settle(pilot)
        assert app.screen.query(ImageCard).last().state == "shown"
        assert prompt_text(app) == ""
    assert len(list(folder.glob("*.png"))) == 1
    assert config_bytes() == before


async def test_cold_start_is_retried_automatically_and_succeeds(fake_gemini, fake_hf, tmp_path):
    fake_hf.enqueue(Loading(estimated_time=1.0), Png(width=96, height=64))
    app = _app(fake_gemini, fake_hf, tmp_path)
    before = config_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, TYPED)
        card = app.screen.query_one(ImageCard)
        statuses: list[str] = []

        def seen() -> bool:
            statuses.append(card_status(card))
            return card.state in ("shown", "error")

        assert await wait_until(pilot, seen, seconds=15)
        await settle(pilot)
        assert card.state == "shown", card_status(card)
        assert any("starting up (cold start)" in text and "next try in" in text for text in statuses), statuses
        assert card.saved_path is not None and card.saved_path.parent == tmp_path
        assert prompt_text(app) == ""
        assert not app.screen.query_one(UserPrompt).has_class("-failed")
        await assert_hello_works(pilot, fake_gemini)
    assert len(fake_hf.requests) == 2
    assert config_bytes() == before


async def test_one_black_image_is_retried_and_the_second_one_shown(fake_gemini, fake_hf, tmp_path):
    fake_hf.enqueue(Black(), Png())
    app = _app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, TYPED)
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown", card_status(card)
        assert prompt_text(app) == ""
    seeds = [request.json["parameters"]["seed"] for request in fake_hf.requests]
    assert len(seeds) == 2 and seeds[0] != seeds[1]
