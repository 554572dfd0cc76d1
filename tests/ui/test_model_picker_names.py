"""The top bar at 80×24: a long image model id is shortened in the middle, whole in the open list."""

from __future__ import annotations

from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from tests.ui.helpers import keyed_settings, make_app, settle
from tests.ui.test_model_picker_focus import pickers_ready, until

SDXL = "stabilityai/stable-diffusion-xl-base-1.0"


def rendered(app, widget) -> list[str]:
    strips = app.screen._compositor.render_strips()
    region = widget.region
    return ["".join(segment.text for segment in strips[y].crop(region.x, region.right)) for y in range(region.y, region.bottom)]


async def test_long_image_model_id_keeps_its_end_in_the_top_bar(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    assert settings.images.model == SDXL
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pickers_ready(pilot)
        picker = app.screen.query_one("#image-model", Select)
        shown = rendered(app, picker)[0]
        assert "stabilityai/…" in shown and "xl-base-1.0" in shown, shown
        assert picker.value == SDXL

        await pilot.press("f4")
        overlay = picker.query_one(SelectOverlay)
        await until(pilot, lambda: picker.expanded and overlay.region.height > 1, "the list did not open")
        await pilot.pause()
        listed = "".join(line.strip() for line in rendered(app, overlay))
        assert SDXL in listed, listed  # whole, wrapped if it must be

        await pilot.press(*"lykon")  # type-to-search still finds a model by its text
        await pilot.pause()
        assert picker._options[overlay.highlighted][1] == "Lykon/dreamshaper-8"
        await pilot.press("enter")
        await until(pilot, lambda: not picker.expanded, "the list stayed open")
        assert picker.value == "Lykon/dreamshaper-8"
