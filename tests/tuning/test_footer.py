"""The footer shows and hides keys in place: the others stay the same widgets."""

from __future__ import annotations

import threading

from textual.compose import compose
from textual.widgets._footer import FooterKey

from g2d_tui.tuning.footer import Footer, _identity
from tests.fakes.gemini_server import Reply
from tests.ui.helpers import keyed_settings, make_app, send, settle, until


def keys(footer: Footer) -> list[FooterKey]:
    return list(footer.query_children(FooterKey))


def as_rebuilt(footer: Footer) -> list[tuple]:
    """What Textual's full rebuild would show now."""
    with footer._context():  # data_bind looks for the widget composing
        return [_identity(widget) for widget in compose(footer)]


async def test_a_reply_adds_and_removes_cancel_without_rebuilding_the_other_keys(fake_gemini):
    go_on = threading.Event()  # the reply waits after its first chunk until the footer is checked
    fake_gemini.enqueue(Reply(chunks=["Slow ", "reply ", "here."], hold=go_on))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        idle = keys(footer)
        assert "escape" not in {key.key for key in idle}
        await send(pilot, "take your time")
        await until(pilot, lambda: "escape" in {key.key for key in keys(footer)}, "the footer's escape key")  # after the next refresh
        busy = keys(footer)
        assert "escape" in {key.key for key in busy}
        assert [_identity(key) for key in busy] == as_rebuilt(footer)
        assert all(any(key is old for old in idle) for key in busy if key.key != "escape")  # kept, not rebuilt
        assert all(key.is_attached for key in idle)
        go_on.set()
        await settle(pilot)
        await until(pilot, lambda: "escape" not in {key.key for key in keys(footer)}, "the escape key gone")
        done = keys(footer)
        assert "escape" not in {key.key for key in done}
        assert [_identity(key) for key in done] == as_rebuilt(footer)
        assert all(any(key is old for old in idle) for key in done)
        # a removed key leaves no watcher behind on the footer (see prune_detached_watchers)
        watchers = [watcher for found in getattr(footer, "__watchers", {}).values() for watcher, _ in found]
        assert all(watcher.is_attached for watcher in watchers if isinstance(watcher, FooterKey))
