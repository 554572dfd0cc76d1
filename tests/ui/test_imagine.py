"""/imagine end to end: fake Gemini writes the prompt, fake HF draws, the card shows it, the folder keeps it."""

from __future__ import annotations

import weakref

import pytest
from PIL import Image

from g2d_tui.widgets.image_card import SPINNER, ImageCard
from g2d_tui.widgets.prompt_input import PromptInput
from g2d_tui.widgets.turns import UserPrompt
from tests.fakes.gemini_server import Error as GeminiErrorReply
from tests.fakes.hf_server import Black, Bomb, Corrupt, Error, Held, Loading, Png
from tests.ui.helpers import FakeClock, idle_events, keyed_settings, make_app, until
from tests.ui.test_chat_screen import send, settle


def imagine_app(fake_gemini, fake_hf, folder, **images):
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder)
    settings.images.width, settings.images.height = 256, 192
    for name, value in images.items():
        setattr(settings.images, name, value)
    return make_app(settings)


async def test_pipeline_saves_png_with_metadata(fake_gemini, fake_hf, tmp_path, monkeypatch):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    folder = tmp_path / "pics" / "new"
    app = imagine_app(fake_gemini, fake_hf, folder, seed=1234, steps=12, guidance_scale=6.5)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a red fox in the snow")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown", card.run.status_key
        assert card.prompt is not None and card.prompt.prompt
        assert "fox" in str(card.query_one(".card-prompt").render()).lower()
        image_widget = card.query_one(".card-image")
        assert type(image_widget).__name__ == "HalfcellPicture"
        assert 0 < image_widget.size.height <= 24 and 0 < image_widget.size.width <= 64
        first = image_widget.render_line(0)
        assert first.text.startswith("▀") and first.cell_length == image_widget.size.width
        assert card.saved_path is not None and card.saved_path.parent == folder
        assert card.image is None  # bytes dropped once on disk
    files = list(folder.iterdir())
    assert files == [card.saved_path]
    assert "red-fox-in-the-snow" in files[0].name and files[0].suffix == ".png"
    with Image.open(files[0]) as saved:
        assert saved.size == (256, 192)
        parameters = saved.text["parameters"]
    assert parameters.startswith(card.prompt.prompt)
    assert "Steps: 12" in parameters and "CFG scale: 6.5" in parameters and "Seed: 1234" in parameters
    assert "Size: 256x192" in parameters and "Model: stabilityai/stable-diffusion-xl-base-1.0" in parameters
    body = fake_hf.requests[0].json
    assert body["inputs"] == card.prompt.prompt
    assert body["parameters"]["width"] == 256 and body["parameters"]["num_inference_steps"] == 12
    assert fake_hf.requests[0].headers["authorization"] == "Bearer hf_FAKE_test_token_0000"
    generate = fake_gemini.requests_to("generate")[0].json
    assert generate["generationConfig"]["responseMimeType"] == "application/json"
    assert "a red fox in the snow" in str(generate["contents"])


async def test_the_put_off_refreeze_runs_while_an_imagine_only_waits_for_its_picture(fake_gemini, fake_hf, tmp_path, monkeypatch):
    """Counted as running work, back-to-back /imagines left the refreeze (which waits for the
    ``idle`` announcement) no idle moment at all; but the picture that came is checked and
    decoded as work (a pause there would hold it up). The idle watch runs on a fake clock and
    the picture comes when the test releases it: no race against a delay."""
    from g2d_tui.services import image_codec

    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    clock = FakeClock()
    waiting_while_checked: list[bool] = []
    real_inspect = image_codec.inspect

    def inspect(data):
        waiting_while_checked.append(bool(app.idle.only_waiting))
        return real_inspect(data)

    monkeypatch.setattr(image_codec, "inspect", inspect)
    held = Held()
    fake_hf.enqueue(held)
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    events, _answers = idle_events(app, monkeypatch, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse")
        card = app.screen.query_one(ImageCard)
        await until(pilot, lambda: card.state == "generating" and fake_hf.generations, "the request for the picture")
        clock.advance(60)  # long past the quiet time after the Enter
        await until(pilot, lambda: "idle" in events, "idle while the picture is awaited")
        assert card.state == "generating"  # during the wait
        held.release.set()
        await until(pilot, lambda: card.state == "shown", "the picture")
        assert waiting_while_checked == [False]
        await until(pilot, lambda: card.saved_path is not None, "the saved file")
        await settle(pilot)
        assert not app.idle.only_waiting  # the worker left its wait behind

        events.clear()  # the /imagine is over: idle moments come as before
        await until(pilot, lambda: "idle" in events, "idle after the /imagine")


async def test_cold_start_is_waited_for_automatically(fake_gemini, fake_hf, tmp_path):
    held = Held(inner=Png(width=64, height=64))  # the picture comes once the spinner has turned
    fake_hf.enqueue(Loading(estimated_time=1.0), held)
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        # Every status the card is given, as it is given (polled, a busy machine missed the
        # second-long cold start).
        seen: set[str] = set()
        flow = app.screen.pictures
        set_status = flow._set_status
        flow._set_status = lambda entry, state, key, **params: (seen.add(key), set_status(entry, state, key, **params))[1]
        await send(pilot, "/imagine a lighthouse")
        card = app.screen.query_one(ImageCard)
        status, layouts = card.query_one(".card-status"), []
        real_update = status.update
        status.update = lambda content, *, layout=True: (layouts.append((str(content), layout)), real_update(content, layout=layout))
        await until(pilot, lambda: len(fake_hf.requests) == 2, "the request after the cold start")
        await until(pilot, lambda: sum(text[:1] in SPINNER for text, _ in layouts) >= 3, "the spinner turning")
        held.release.set()
        await until(pilot, lambda: card.state == "shown", "the picture after the cold start")
        await settle(pilot)
        assert "imagine.cold_start" in seen
        assert card.state == "shown"
        # While waiting, the spinner turns without layout passes; new words get one.
        spinning = [(text, layout) for text, layout in layouts if text[:1] in SPINNER]
        assert any(not layout for _, layout in spinning)
        for (before, _), (after, layout) in zip(spinning, spinning[1:]):
            assert layout == (after[1:] != before[1:]), (before, after, layout)
    assert len(fake_hf.requests) == 2


@pytest.mark.parametrize("slow", [False, True])
async def test_the_card_says_decoding_only_when_the_picture_is_slow(fake_gemini, fake_hf, tmp_path, monkeypatch, slow):
    """A quick picture goes straight from generating to shown: "decoding" would cost a
    layout pass just while it is encoded. A slow one says what is going on."""
    import time

    from g2d_tui.widgets import picture
    from g2d_tui.widgets.image_card import DECODING_NOTICE_DELAY

    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    if slow:
        real_strips = picture.halfcell_strips

        def slow_strips(*args):
            time.sleep(DECODING_NOTICE_DELAY + 0.4)  # in the encoding thread
            return real_strips(*args)

        monkeypatch.setattr(picture, "halfcell_strips", slow_strips)
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        card_keys: list[str] = []
        real_set_status = ImageCard.set_status

        def set_status(card, state, key, **params):
            card_keys.append(key)
            real_set_status(card, state, key, **params)

        monkeypatch.setattr(ImageCard, "set_status", set_status)
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown"
        assert card_keys[-1] == "imagine.done_via"  # done, and by which provider
        assert ("imagine.decoding" in card_keys) == slow


async def test_black_image_retried_with_new_seed(fake_gemini, fake_hf, tmp_path):
    fake_hf.enqueue(Black(64, 64), Png(64, 64))
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a cat")
        await settle(pilot)
        assert app.screen.query_one(ImageCard).state == "shown"
    seeds = [request.json["parameters"]["seed"] for request in fake_hf.requests]
    assert len(seeds) == 2 and seeds[0] != seeds[1]


async def test_failures_show_message_keep_text_and_app_usable(fake_gemini, fake_hf, tmp_path):
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    cases = [
        (Error(401), "token"),
        (Error(402), "credit"),
        (Error(404), "not served"),
        (Error(429), "try again in 7 s"),
        (Corrupt(), "damaged"),
        (Bomb(), "too large"),
    ]
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        for behaviour, words in cases:
            fake_hf.enqueue(behaviour)
            await send(pilot, "/imagine a boat")
            await settle(pilot)
            card = app.screen.query(ImageCard).last()
            status = str(card.query_one(".card-status").render())
            assert card.state == "error", behaviour
            assert words.lower() in status.lower(), (behaviour, status)
            assert app.screen.query_one(PromptInput).text == "/imagine a boat"
            assert app.screen.query(UserPrompt).last().has_class("-failed")
            app.screen.query_one(PromptInput).clear()
        await send(pilot, "/imagine a boat")
        await settle(pilot)
        assert app.screen.query(ImageCard).last().state == "shown"
    assert len(list(tmp_path.glob("*.png"))) == 1


async def test_prompt_step_error_is_reported(fake_gemini, fake_hf, tmp_path):
    fake_gemini.enqueue(GeminiErrorReply.overloaded(), on="generate")
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a tree")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "error"
        assert "overloaded" in str(card.query_one(".card-status").render()).lower()
    assert not fake_hf.requests


async def test_unwritable_folder_keeps_image_and_ctrl_s_saves_after_fix(fake_gemini, fake_hf, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app = imagine_app(fake_gemini, fake_hf, blocker)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a mountain")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown"
        assert card.image is not None and card.saved_path is None
        assert "Not saved" in str(card.query_one(".card-saved").render())
        good = tmp_path / "good"
        new = app.settings.copy()
        new.images.save_dir = str(good)
        await app.save_settings(new)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert card.saved_path is not None and card.saved_path.parent == good
    assert len(list(good.glob("*.png"))) == 1


async def test_escape_cancels_a_cold_start_wait(fake_gemini, fake_hf, tmp_path):
    fake_hf.default = Loading(estimated_time=30.0)
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a slow thing")
        card = app.screen.query_one(ImageCard)
        await until(pilot, lambda: card.run.status_key == "imagine.cold_start", "the cold start")
        await pilot.press("escape")
        await settle(pilot)
        assert card.state == "cancelled"
        assert app.screen.imagining == 0


async def test_cards_far_from_the_view_are_dropped_and_drawn_again_from_their_files(fake_gemini, fake_hf, tmp_path):
    """Only the cards near the view have widgets (and pixels): an old one is freed, and
    scrolled back into view it is built again, its picture decoded from the saved file."""
    import gc

    from tests.ui.helpers import entries, widget_on_screen

    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        first: list[weakref.ref] = []
        for n in range(5):
            await send(pilot, f"/imagine picture {n}")
            await settle(pilot)
            if n == 0:  # query, not query_one: the screen's query_one cache would keep the card
                card = app.screen.query(ImageCard).first()
                first = [weakref.ref(widget) for widget in [card, *card.walk_children()]]
                del card
        await pilot.pause(0.3)
        cards = entries(app, "image")
        assert [entry.run.request for entry in cards] == [f"picture {n}" for n in range(5)]
        assert all(entry.run.state == "shown" and entry.run.saved for entry in cards)
        assert cards[0].widget is None and cards[-1].widget is not None
        gc.collect()
        assert [ref() for ref in first] == [None] * len(first)
        card = await widget_on_screen(pilot, cards[0])
        await until(pilot, lambda: card.query(".card-image"), "the picture decoded again, in a thread, from the file")
        assert card.query(".card-image") and card.saved_path is not None and card.saved_path.exists()
        assert app.screen.log_view.mounted_entries[0] is not cards[-1]
    assert len(list(tmp_path.glob("*.png"))) == 5


@pytest.mark.parametrize("renderer", ["halfcell", "sixel"])
async def test_replies_and_cards_need_no_new_parse_of_the_stylesheet(fake_gemini, fake_hf, tmp_path, monkeypatch, renderer):
    """Textual parses its whole stylesheet again when a widget class is first mounted: the
    classes replies and /imagine bring are added up front, after the first frame (the
    Sixel/Kitty widgets while the first /imagine waits for its prompt)."""
    from textual.css.stylesheet import Stylesheet

    from g2d_tui import tuning

    if "preload-css" not in tuning.applied():
        pytest.skip("checks the tuning piece preload-css, which is off (G2D_TUI_NO_TUNING)")

    from tests.fakes.gemini_server import Reply

    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", renderer)
    parses: list[int] = []  # how many pictures were mounted at each parse
    real_parse = Stylesheet.parse

    def parse(stylesheet):
        parses.append(len(app.screen.query(".card-image")) if app.is_running else 0)
        real_parse(stylesheet)

    monkeypatch.setattr(Stylesheet, "parse", parse)

    markdown = "# Title\n\nSome *text*.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n"
    fake_gemini.enqueue(Reply(chunks=[markdown[i:i + 20] for i in range(0, len(markdown), 20)]))
    app = imagine_app(fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        before = len(parses)
        await send(pilot, "show me markdown")
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        await pilot.pause(0.2)
        assert app.screen.query_one(ImageCard).state == "shown"
        # None at all for half-cell pictures; for Sixel one, before the picture is mounted.
        assert parses[before:] == ([] if renderer == "halfcell" else [0])
