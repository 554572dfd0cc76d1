"""The message box's keys, sent as the driver sends them: in a burst, with no waiting."""

from __future__ import annotations

import pytest
from textual import events

from g2d_tui.widgets.prompt_input import PromptInput
from tests.ui.helpers import keyed_settings, make_app, settle


def burst(app, keys: list[str]) -> None:
    """Post ``keys`` to the app back to back, as the terminal driver does for a paste or a fast typist."""
    for key in keys:
        character = key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def typed(pilot, prompt: PromptInput, expected: str) -> str:
    for _ in range(150):
        if prompt.text == expected:
            break
        await pilot.pause(0.02)
    return prompt.text


@pytest.mark.parametrize("newline", ["ctrl+j", "shift+enter"])
async def test_newline_in_a_burst_lands_between_the_keys_around_it(fake_gemini, newline):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        prompt = app.screen.query_one(PromptInput)
        assert app.focused is prompt
        burst(app, [*"first", newline, *"second", newline, newline, *"third"])
        assert await typed(pilot, prompt, "first\nsecond\n\nthird") == "first\nsecond\n\nthird"


async def test_remapped_newline_key_keeps_its_place_too(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    settings.keymap = {"newline": "ctrl+n"}
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        prompt = app.screen.query_one(PromptInput)
        burst(app, [*"ab", "ctrl+n", *"cd"])
        assert await typed(pilot, prompt, "ab\ncd") == "ab\ncd"
        burst(app, ["ctrl+j", "e"])  # ctrl+j is no longer the newline key: the TextArea's own (nothing)
        assert await typed(pilot, prompt, "ab\ncde") == "ab\ncde"
