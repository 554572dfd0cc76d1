"""/edit with the Gemini image backend: the latest picture changes, the new one records its parent."""

from __future__ import annotations

import base64

from PIL import Image
from tests.ui.helpers import CEILING, entries, keyed_settings, make_app, send, settle


def gemini_images_settings(url: str, folder):
    settings = keyed_settings(url, save_dir=folder)
    settings.images.backend = "gemini"
    return settings


async def _history_pictures(app):
    return await app.history.pictures() if app.history is not None else []


async def test_edit_changes_the_latest_picture_into_a_new_card_and_file(fake_gemini_image, tmp_path):
    app = make_app(gemini_images_settings(fake_gemini_image.base_url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a fox in the snow")
        await settle(pilot)
        first = entries(app, "image")[0]
        assert first.run.state == "shown" and first.run.saved
        with Image.open(first.run.saved[0]) as picture:
            picture.load()
        original_name = first.run.saved[0].rsplit("/", 1)[-1]
        await send(pilot, "/edit make it night")
        await settle(pilot)
        cards = entries(app, "image")
        assert len(cards) == 2
        edited = cards[1]
        assert edited.run.state == "shown" and edited.run.saved and edited.run.request == "make it night"
        assert edited.run.notice_key == "imagine.gemini_notice"  # paid usage, SynthID
        # The picture went to Gemini with the instruction.
        sent = fake_gemini_image.generations()[-1].json
        [parts] = [content["parts"] for content in sent["contents"]]
        blob = parts[0]["inlineData"]
        sent_bytes = base64.urlsafe_b64decode(blob["data"] + "=" * (-len(blob["data"]) % 4))
        assert sent_bytes == (tmp_path / original_name).read_bytes()  # the saved file, as it is
        assert parts[1] == {"text": "make it night"}
        # The new file says what it was made from; the gallery records the parent.
        with Image.open(edited.run.saved[0]) as saved:
            texts = dict(saved.text)
        assert original_name in texts["parameters"]
        stored: list = []

        async def both_stored() -> bool:
            stored[:] = await _history_pictures(app)
            return len(stored) == 2 and all(picture.id for picture in stored)

        for _ in range(int(CEILING / 0.02)):  # the history is read on its own thread
            if await both_stored():
                break
            await pilot.pause(0.02)
        newest, oldest = stored
        assert newest.parent_id == oldest.id and newest.request == "make it night"


async def test_edit_needs_the_gemini_backend_and_gives_the_text_back(fake_gemini, fake_hf, tmp_path):
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/edit make it night")
        await settle(pilot)
        assert not entries(app, "image")
        assert app.screen.prompt_input.text == "/edit make it night"
        assert any("Gemini image backend" in str(n.message) for n in app._notifications)


async def test_edit_without_a_picture_says_so(fake_gemini_image, tmp_path):
    app = make_app(gemini_images_settings(fake_gemini_image.base_url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/edit make it night")
        await settle(pilot)
        assert not entries(app, "image")
        assert any("no picture to edit" in str(n.message) for n in app._notifications)


async def test_a_hugging_face_card_says_which_provider_drew_it(fake_gemini, fake_hf, tmp_path):
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        [card] = entries(app, "image")
        assert card.run.status_key == "imagine.done_via" and card.run.status_params["provider"] == "hf-inference"
