"""SVG snapshots of the key screens (English). Review the report before --snapshot-update."""

from __future__ import annotations

from tests.fakes.gemini_server import Reply
from tests.ui.helpers import keyed_settings, make_app, quiet, settings_ready
from tests.ui.test_chat_screen import send, settle

EXCHANGE = [
    "## Reversing a list\n\n",
    "Use slicing:\n\n",
    "```python\nitems = [1, 2, 3]\nprint(items[::-1])\n```\n\n",
    "- works on **any** sequence\n- returns a *new* list\n",
]


def test_chat_with_finished_exchange(snap_compare, fake_gemini):
    fake_gemini.enqueue(Reply(chunks=EXCHANGE))
    app = make_app(keyed_settings(fake_gemini.base_url))

    async def run_before(pilot):
        await settle(pilot)
        await send(pilot, "How do I reverse a list in Python?")
        await settle(pilot)
        quiet(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_first_run_settings(snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settings_ready(pilot)
        quiet(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_settings_with_invalid_value(snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settings_ready(pilot)
        field = pilot.app.screen.query_one("#gemini--temperature")
        field.focus()
        field.value = "7"
        await pilot.pause()
        quiet(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_chat_small_terminal(snap_compare, fake_gemini):
    """80×24, the size of a plain SSH session."""
    fake_gemini.enqueue(Reply(chunks=["Short answer."]))
    app = make_app(keyed_settings(fake_gemini.base_url))

    async def run_before(pilot):
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
        quiet(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_help_screen(snap_compare, fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
