"""Sixel and Kitty pictures: encoded in a thread, then drawn by textual-image's own render path."""

from __future__ import annotations

import io
import sys
import threading

import pytest
from textual.geometry import Region

from g2d_tui.tuning.graphics_picture import picture_cells
from g2d_tui.widgets.image_card import ImageCard
from tests.ui.test_chat_screen import send, settle
from tests.ui.helpers import until
from tests.ui.test_imagine import imagine_app


def _record_threads(monkeypatch, owner, name: str) -> list[str]:
    """Wrap textual-image's ``owner.name`` to note which thread each call ran on."""
    threads: list[str] = []
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return threads


def _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch):
    """An app drawing Sixel, and the threads Sixel encoders ran on: ours (``off_loop``,
    meant for a thread) and textual-image's from its own render (``on_render``, never wanted)."""
    import textual_image.widget.sixel

    from g2d_tui.services import sixel

    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "sixel")
    off_loop = _record_threads(monkeypatch, sixel, "image_to_sixels")
    on_render = _record_threads(monkeypatch, textual_image.widget.sixel, "image_to_sixels")
    return imagine_app(fake_gemini, fake_hf, tmp_path / "pics"), off_loop, on_render


async def _imagine_once(pilot) -> ImageCard:
    await settle(pilot)
    await send(pilot, "/imagine a lighthouse at dusk")
    await settle(pilot)
    await pilot.pause()
    card = pilot.app.screen.query_one(ImageCard)
    assert card.state == "shown", card._status_key
    return card


async def test_sixel_picture_is_encoded_in_a_thread(fake_gemini, fake_hf, tmp_path, monkeypatch):
    app, off_loop, on_render = _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await _imagine_once(pilot)
        picture = card.query_one(".card-image")
        assert type(picture).__name__ == "GraphicsSixelImage"
        assert picture.size == (64, 24)  # 640×480 pixels at 10×20-pixel cells: the aspect ratio kept
        assert picture.drawn
        assert off_loop and threading.main_thread().name not in off_loop
        assert on_render == []  # textual-image found the data ready and did not encode again
        canvas = picture.children[0]
        lines = canvas.render_lines(Region(0, 0, *canvas.content_size))
        assert "\x1bP" in lines[-1].text  # the Sixel sequence (DCS) is in the last line, as textual-image puts it
        assert on_render == []


async def test_a_sixel_picture_composes_its_canvas_once(fake_gemini, fake_hf, tmp_path, monkeypatch):
    """textual-image's image setter asks for a recompose in ``__init__``: on mount that
    replaced the canvas just composed with a second one, as the picture arrived."""
    from g2d_tui.tuning.graphics_picture import graphics_picture_class

    app, _, _ = _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch)
    widget_class = graphics_picture_class("sixel")
    composed = []
    real_compose = widget_class.compose

    def compose(self):
        for child in real_compose(self):
            composed.append(child)
            yield child

    monkeypatch.setattr(widget_class, "compose", compose)
    async with app.run_test(size=(100, 40)) as pilot:
        card = await _imagine_once(pilot)
        await pilot.pause(0.1)
        picture = card.query_one(".card-image")
        assert list(picture.children) == composed  # the first canvas is the one shown
        assert picture.drawn


async def test_kitty_picture_is_encoded_in_a_thread(fake_gemini, fake_hf, tmp_path, monkeypatch):
    from textual_image._pixeldata import PixelData

    terminal = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", terminal)  # where textual-image writes Kitty images
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "kitty")
    encodings = _record_threads(monkeypatch, PixelData, "to_base64")
    app = imagine_app(fake_gemini, fake_hf, tmp_path / "pics")
    async with app.run_test(size=(100, 40)) as pilot:
        card = await _imagine_once(pilot)
        picture = card.query_one(".card-image")
        assert type(picture).__name__ == "GraphicsTGPImage"
        assert picture.size == (64, 24)
        assert picture.drawn
    assert len(encodings) == 1 and encodings[0] != threading.main_thread().name
    sent = terminal.getvalue()
    assert sent.startswith("\x1b_G") and "f=100" in sent and "a=p" in sent  # image data, then its placement
    payload = "".join(part.split(";", 1)[1] for part in sent.split("\x1b\\") if "f=100" in part)
    assert payload.startswith("iVBOR")  # a PNG, base64


@pytest.mark.parametrize(
    ("size", "image", "decoded_again"),
    [
        ((100, 40), None, False),  # 256×192: the preview is the whole image
        ((100, 40), (2048, 2048), False),  # a 512×512 preview, drawn with 480×480 pixels
        ((100, 60), (2048, 2048), True),  # drawn with 720×720 pixels: more than the preview has
    ],
)
async def test_a_picture_is_drawn_from_the_preview_when_it_has_the_pixels(
    fake_gemini, fake_hf, tmp_path, monkeypatch, size, image, decoded_again
):
    from g2d_tui.services import image_codec
    from tests.fakes.hf_server import Png

    app, _, _ = _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch)
    decodes = _record_threads(monkeypatch, image_codec, "display_copy")
    if image is not None:
        fake_hf.enqueue(Png(*image))
    async with app.run_test(size=size) as pilot:
        card = await _imagine_once(pilot)
        picture = card.query_one(".card-image")
        assert picture.drawn
        assert bool(decodes) == decoded_again
        assert picture.encoded.pixel_size[1] == picture.size.height * 20  # 20-pixel cells


@pytest.mark.parametrize(
    ("image", "box", "cells"),
    [
        ((640, 480), (64, 24), (64, 24)),  # fits exactly
        ((1024, 1024), (64, 24), (48, 24)),  # square: limited by the rows (a cell is twice as tall as wide)
        ((1600, 400), (64, 24), (64, 8)),  # a wide panorama: limited by the columns
        ((640, 480), (20, 24), (20, 8)),  # a narrow terminal
        ((10, 4000), (64, 24), (1, 24)),  # never less than one cell
    ],
)
def test_picture_cells_keep_the_aspect_ratio_within_the_box(image, box, cells):
    assert picture_cells(image, *box, (10, 20)) == cells


async def test_partly_visible_sixel_picture_is_encoded_in_a_thread(fake_gemini, fake_hf, tmp_path, monkeypatch):
    """A terminal cannot clip Sixel: the visible part is encoded anew, off the event loop."""
    from g2d_tui.widgets.chat_log import ChatLog

    app, off_loop, on_render = _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 24)) as pilot:
        card = await _imagine_once(pilot)
        canvas = card.query_one(".card-image").children[0]
        encoded_whole = len(off_loop)
        log = app.screen.query_one(ChatLog)
        log.scroll_home(animate=False)  # the picture's bottom rows leave the view
        await pilot.pause()
        await until(pilot, lambda: canvas._parts and not canvas._encoding, "the visible part")
        await pilot.pause()
        visible = app.screen.find_widget(canvas).visible_region
        assert 0 < visible.height < canvas.size.height
        assert len(off_loop) > encoded_whole and threading.main_thread().name not in off_loop
        part = canvas.render_lines(visible.translate((-canvas.region.x, -canvas.region.y)))
        assert "\x1bP" in part[-1].text
        assert on_render == []


@pytest.mark.parametrize("length", [1, 4096, 4097, 3 * 4096 + 5])
def test_kitty_transmission_sends_the_payload_in_chunks_the_last_one_marked(length):
    from g2d_tui.tuning.graphics_picture import kitty_transmission

    payload = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index % 26] for index in range(length))
    messages = kitty_transmission(7, payload).split("\x1b\\")
    assert messages.pop() == ""
    keys = [message.removeprefix("\x1b_G").split(";", 1)[0] for message in messages]
    chunks = [message.split(";", 1)[1] for message in messages]
    assert all(message.startswith("\x1b_G") for message in messages)
    assert "".join(chunks) == payload and all(len(chunk) <= 4096 for chunk in chunks)
    assert len(chunks) == -(-length // 4096)
    assert keys == ["i=7,m=1,f=100,q=2"] * (len(chunks) - 1) + ["i=7,m=0,f=100,q=2"]


async def test_parts_of_older_sixel_pictures_wait_for_a_new_one(fake_gemini, fake_hf, tmp_path, monkeypatch):
    """A new card scrolls older pictures partly out of view: their parts are encoded after
    the new picture (they slowed it down), and a part no longer wanted is not encoded at all.
    "A new picture is being encoded" is held by the test, so the order is the test's."""
    from g2d_tui.tuning import graphics_picture
    from g2d_tui.widgets.chat_log import ChatLog

    app, off_loop, _ = _sixel_app(fake_gemini, fake_hf, tmp_path, monkeypatch)
    async with app.run_test(size=(100, 24)) as pilot:
        card = await _imagine_once(pilot)
        canvas = card.query_one(".card-image").children[0]
        log = app.screen.query_one(ChatLog)
        # At this size the picture starts partly visible: let that part be encoded.
        await until(pilot, lambda: canvas._parts and not canvas._encoding, "the first part")
        encoded, parts = len(off_loop), len(canvas._parts)
        graphics_picture._no_new_picture.clear()  # as while a new picture is encoded
        try:
            log.scroll_home(animate=False)  # another part of the picture is in view
            await until(pilot, lambda: canvas._encoding, "the part in view wanted")
            await pilot.pause(graphics_picture.PART_DELAY + 0.3)  # time it would have had
            assert canvas._encoding and len(canvas._parts) == parts and len(off_loop) == encoded
        finally:
            graphics_picture._no_new_picture.set()
        await until(pilot, lambda: not canvas._encoding, "the part after the new picture")
        assert len(canvas._parts) == parts + 1 and len(off_loop) == encoded + 1

        canvas._parts.clear()
        graphics_picture._no_new_picture.clear()
        try:
            log.scroll_end(animate=False)  # a part wanted for a moment...
            await until(pilot, lambda: canvas._encoding, "the part wanted")
            await pilot.resize_terminal(100, 40)  # ...then the whole picture is in view
            await until(pilot, lambda: canvas._wanted is None, "the whole picture in view")
        finally:
            graphics_picture._no_new_picture.set()
        await until(pilot, lambda: not canvas._encoding, "the part given up")
        assert len(off_loop) == encoded + 1
