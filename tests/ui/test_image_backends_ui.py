"""The image backends in the app: the settings form follows the backend, /imagine uses it."""

from __future__ import annotations

import tomllib

import pytest
from PIL import Image
from textual.widgets import Input, Select, Static

from g2d_tui.paths import config_path
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.screens.settings_form import ALL_FIELDS
from g2d_tui.widgets.image_card import ImageCard
from tests.ui.helpers import keyed_settings, make_app, send, settings_ready, settle

BACKEND_ROWS = {
    backend: [item.widget_id for item in ALL_FIELDS if item.backend == backend]
    for backend in ("huggingface", "gemini", "a1111", "comfyui")
}


async def _open_settings(pilot) -> SettingsScreen:
    await pilot.press("f2")
    await settings_ready(pilot)
    assert isinstance(pilot.app.screen, SettingsScreen)
    return pilot.app.screen


async def _pick_backend(pilot, screen: SettingsScreen, backend: str) -> None:
    screen.query_one("#images--backend", Select).value = backend
    await pilot.pause()


def _visible(screen: SettingsScreen, widget_id: str) -> bool:
    return screen.query_one(f"#row-{widget_id}").display


async def test_switching_the_backend_swaps_its_fields_and_greys_out_what_it_ignores(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = await _open_settings(pilot)
        for backend in ("huggingface", "gemini", "a1111", "comfyui"):
            await _pick_backend(pilot, screen, backend)
            for other, rows in BACKEND_ROWS.items():
                assert all(_visible(screen, row) == (other == backend) for row in rows), (backend, other)
            steps = screen.query_one("#images--steps", Input)
            width = screen.query_one("#images--width", Input)
            hint = str(screen.query_one("#hint-images--steps", Static).render())
            if backend == "gemini":
                assert steps.disabled and not width.disabled
                assert screen.query_one("#row-images--steps").has_class("-ignored")
                assert hint == "Not used with Gemini image output: this service has no such setting."
                assert screen.query_one("#images--seed", Input).disabled
                assert screen.query_one("#images--negative-prompt", Input).disabled
            else:
                assert not steps.disabled and not screen.query_one("#row-images--steps").has_class("-ignored")
                assert hint.startswith("1–150")


async def test_switching_backends_never_loses_another_backends_values(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = await _open_settings(pilot)
        await _pick_backend(pilot, screen, "a1111")
        screen.query_one("#images-a1111--base-url", Input).value = "http://127.0.0.1:7999"
        screen.query_one("#images-a1111--sampler", Input).value = "Euler a"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.settings.images.backend == "a1111"
    data = tomllib.loads(config_path().read_text(encoding="utf-8"))
    assert data["images"]["backend"] == "a1111"
    assert data["images"]["a1111"] == {"base_url": "http://127.0.0.1:7999", "model": "", "sampler": "Euler a"}
    assert data["images"]["huggingface"]["api_key"] == "hf_FAKE_test_token_0000"  # kept while another backend is in use
    assert "api_key" not in data["images"]


async def test_environment_overrides_are_named_in_the_hints(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url), environ={"G2D_COMFYUI_URL": "http://127.0.0.1:8999"})
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = await _open_settings(pilot)
        await _pick_backend(pilot, screen, "comfyui")
        hint = str(screen.query_one("#hint-images-comfyui--base-url", Static).render())
        assert "$G2D_COMFYUI_URL is set in the environment" in hint


async def test_the_image_model_picker_follows_the_backend(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    settings.images.backend = "a1111"
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        picker = app.screen.query_one("#image-model", Select)
        assert picker.value == ""
        assert [str(label) for label, _ in picker._options] == ["(the server's current model)"]


@pytest.mark.parametrize("backend", ["a1111", "comfyui"])
async def test_imagine_draws_with_a_local_backend(fake_gemini, fake_a1111, fake_comfyui, tmp_path, monkeypatch, backend):
    """No Hugging Face token needed; the saved picture says which backend drew it."""
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    settings = keyed_settings(fake_gemini.base_url, save_dir=tmp_path)
    settings.images.huggingface.api_key = ""
    settings.images.backend = backend
    settings.images.width, settings.images.height, settings.images.steps = 96, 64, 3
    settings.images.a1111.base_url = fake_a1111.base_url
    settings.images.comfyui.base_url = fake_comfyui.base_url
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.missing_keys() == []
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown", card._status_key
        path = card.saved_path
    with Image.open(path) as saved:
        assert saved.size == (96, 64)
        assert saved.text["parameters"].splitlines()[-1].endswith(f"Backend: {backend}")


async def test_imagine_draws_with_gemini_image_output(fake_gemini_image, tmp_path, monkeypatch):
    """Gemini writes the prompt and draws it, with the chat's key; the PNG claims no steps or seed."""
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    settings = keyed_settings(fake_gemini_image.base_url, save_dir=tmp_path)
    settings.images.backend = "gemini"
    settings.images.width, settings.images.height = 1920, 1080
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a lighthouse")
        await settle(pilot)
        card = app.screen.query_one(ImageCard)
        assert card.state == "shown", card._status_key
        path = card.saved_path
    [drawn] = [r for r in fake_gemini_image.generations() if "IMAGE" in str(r.json)]
    assert drawn.json["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    with Image.open(path) as saved:
        line = saved.text["parameters"].splitlines()[-1]
    assert line == "Size: 112x63, Model: gemini-2.5-flash-image, Backend: gemini"
    assert path.read_bytes().count(fake_gemini_image.pictures[-1][33:200]) == 1  # the pixel data as sent
