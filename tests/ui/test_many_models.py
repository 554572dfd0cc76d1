"""A server listing 100,000 models never freezes the UI, and the picker still opens.

The fake pages its list in small pages here, so the listing takes many round trips: keys
typed meanwhile must be handled while the listing worker is still running (checked by
conditions: the worker's state when the key's effect is seen, and how far the fake got).
"""

from __future__ import annotations


from textual import events
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from g2d_tui.screens.model_pickers import MAX_OPTIONS
from g2d_tui.services.gemini.models import MAX_MODELS
from tests.faults.helpers import notes, prompt_text, wait_until
from tests.ui.helpers import keyed_settings, make_app, poll_without_pilot, settle

SIZE = (100, 40)


def _listing(app) -> bool:
    return any(worker.group == "models" and worker.is_running for worker in app.screen.workers)


async def test_typing_goes_on_while_100000_models_are_listed_and_the_picker_opens(fake_gemini):
    fake_gemini.set_hostile("many-models")
    fake_gemini.page_size = 4  # the service stops at MAX_MODELS: 250 pages of 4
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=SIZE) as pilot:
        # A tight poll, so the keys go in as soon as the listing is under way; bounded only so
        # that a listing that never starts fails here, saying so, on however busy a machine.
        started = await poll_without_pilot(lambda: _listing(app) and fake_gemini.requests_to("models"), seconds=180, step=0.005)
        assert started, f"the model listing never started: {notes(app.screen)!r}"
        typed_while_listing = []
        for key in "hello":
            # As the terminal driver sends a key (Pilot.press would first wait for the
            # process to go idle, i.e. for the listing to end).
            app.post_message(events.Key(key, key))
            wanted = typed_while_listing[-1][0] + key if typed_while_listing else key
            await poll_without_pilot(lambda: prompt_text(app) == wanted, seconds=60, step=0.005)
            typed_while_listing.append((prompt_text(app), _listing(app), len(fake_gemini.requests_to("models"))))
        assert typed_while_listing[-1][0] == "hello"
        handled_midway = [pages for text, listing, pages in typed_while_listing if listing and text]
        assert handled_midway, typed_while_listing  # keys were handled while the list was coming in
        await settle(pilot)
        assert len(fake_gemini.requests_to("models")) > max(handled_midway)  # and it went on after them
        assert len(app.chat_models) == MAX_MODELS
        await pilot.press("f3")
        picker = app.screen.query_one("#chat-model", Select)
        assert await wait_until(pilot, lambda: picker.expanded)
        overlay = picker.query_one(SelectOverlay)
        assert overlay.option_count <= MAX_OPTIONS + 1
        await pilot.press("down", "down")
        assert await wait_until(pilot, lambda: overlay.highlighted is not None)
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: not picker.expanded)
