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


async def test_page_keys_in_the_message_box_page_the_conversation(fake_gemini):
    from g2d_tui.widgets.chat_log import ChatLog
    from tests.fakes.gemini_server import Reply
    from tests.ui.helpers import send

    fake_gemini.enqueue(Reply(chunks=["line\n\n" * 60]))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await send(pilot, "a long answer, please")
        await settle(pilot)
        log = app.screen.query_one(ChatLog)
        prompt = app.screen.query_one(PromptInput)
        prompt.insert("draft")
        bottom = log.scroll_y
        assert bottom > 0 and log.scroll_y == log.max_scroll_y
        await pilot.press("pageup")
        for _ in range(100):
            if log.scroll_y < bottom:
                break
            await pilot.pause(0.02)
        assert log.scroll_y < bottom
        assert app.focused is prompt and prompt.text == "draft"  # the box keeps focus and text
        await pilot.press("pagedown")
        for _ in range(100):
            if log.scroll_y == log.max_scroll_y:
                break
            await pilot.pause(0.02)
        assert log.scroll_y == log.max_scroll_y
