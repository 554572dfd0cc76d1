"""Quitting while a screen still mounts (ctrl+q as the first-run settings open) is no crash.

Textual removes a widget's children before that widget's own mount handler has run; the
handler's query (Textual's Select looks up its label) then finds nothing. Seen as a
NoMatches crash, with a crash report, in a few percent of quick quits.
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from g2d_tui import crash
from tests.ui.helpers import keyed_settings, make_app, settle


class LateMount(Vertical):
    """Its mount handler runs once the app is closing, and looks for its child then."""

    def compose(self) -> ComposeResult:
        yield Static("label", id="late-label")

    async def on_mount(self) -> None:
        while not self.app.shutting_down:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the children are pruned meanwhile
        self.query_one("#late-label")


async def test_a_query_failing_while_the_app_closes_is_not_a_crash(fake_gemini, monkeypatch):
    reports = []
    monkeypatch.setattr(crash.CrashState, "record", lambda self, error: reports.append(error))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.mount(LateMount())  # not awaited: its mount finishes only as the app closes
        app.exit()
    assert app.return_code == 0 and not reports


async def test_other_failures_while_closing_are_still_reported(fake_gemini, monkeypatch):
    reports = []
    monkeypatch.setattr(crash.CrashState, "record", lambda self, error: reports.append(error))

    class Broken(LateMount):
        async def on_mount(self) -> None:
            while not self.app.shutting_down:
                await asyncio.sleep(0.01)
            raise ValueError("a real bug")

    app = make_app(keyed_settings(fake_gemini.base_url))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.screen.mount(Broken())
            app.exit()
    except ValueError:
        pass
    assert [type(error) for error in reports] == [ValueError]
