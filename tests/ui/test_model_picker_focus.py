"""F3/F4 open the top-bar model pickers; picking or escaping gives the message box the focus back."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from g2d_tui.widgets.prompt_input import PromptInput
from tests.ui.helpers import keyed_settings, make_app, settle, until


async def pickers_ready(pilot) -> None:
    """Wait until both pickers are mounted and the chat one is filled from the API."""
    await until(pilot, lambda: pilot.app.screen.ready and pilot.app.chat_models, "the model pickers never filled")
    await settle(pilot)


@pytest.mark.parametrize("key, picker_id", [("f3", "#chat-model"), ("f4", "#image-model")])
@pytest.mark.parametrize("close", ["pick", "escape"])
async def test_focus_returns_to_the_message_box(fake_gemini, key, picker_id, close):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pickers_ready(pilot)
        picker = app.screen.query_one(picker_id, Select)
        before = picker.value
        await pilot.press(key)
        await until(pilot, lambda: picker.expanded, "the picker did not open")
        await pilot.press(*(["down", "enter"] if close == "pick" else ["escape"]))
        await until(pilot, lambda: not picker.expanded, "the picker did not close")
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.focused, PromptInput), app.focused
        await pilot.press("x")
        assert app.screen.query_one(PromptInput).text == "x"
        assert (picker.value != before) == (close == "pick")


async def test_f4_while_the_chat_picker_is_open_opens_the_image_picker(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pickers_ready(pilot)
        chat, image = app.screen.query_one("#chat-model", Select), app.screen.query_one("#image-model", Select)
        await pilot.press("f3")
        await until(pilot, lambda: chat.expanded, "the chat picker did not open")
        await pilot.press("f4")
        await until(pilot, lambda: image.expanded and not chat.expanded, "F4 did not switch to the image picker")
        await pilot.pause()
        assert image.expanded
        await pilot.press("escape")
        await until(pilot, lambda: not image.expanded, "the image picker did not close")
        await pilot.pause()
        assert isinstance(app.focused, PromptInput), app.focused


async def test_f3_pressed_before_the_pickers_exist_opens_once_they_do(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.pickers.picker("#chat-model") is not None, "no pickers")
        chat = app.screen.query_one("#chat-model", Select)
        await until(pilot, lambda: chat.expanded, "the early F3 was lost")
        await pilot.press("escape")
        await until(pilot, lambda: not chat.expanded, "the picker did not close")
        await pilot.pause()
        assert isinstance(app.focused, PromptInput), app.focused
