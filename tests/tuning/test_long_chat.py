"""A long chat stays as light as a short one: widgets far from the view let go of what they
drew, finished replies come back from the cache, a page moves at once."""

from __future__ import annotations

import asyncio
import gc
import weakref

from g2d_tui import hooks, tuning
from g2d_tui.tuning import gc_policy
from g2d_tui.widgets import markdown_lines
from g2d_tui.widgets.markdown_lines import FrozenMarkdown
from tests.fakes.gemini_server import Reply
from tests.ui.helpers import keyed_settings, make_app, send, settle

TURNS = 8


def answer(n: int) -> str:
    return f"## Answer {n}\n\n" + "".join(f"Paragraph {i} of answer {n}, a line or two of words.\n\n" for i in range(12))


async def long_chat(fake_gemini, pilot, seen: list) -> None:
    fake_gemini.enqueue(*(Reply.of(answer(n), words_per_chunk=8) for n in range(TURNS)))
    await settle(pilot)
    for n in range(TURNS):
        await send(pilot, f"question {n}")
        await settle(pilot)
        seen.extend(weakref.ref(widget) for widget in pilot.app.screen.query(FrozenMarkdown))


def on_screen(log, entry) -> int | None:
    """Where ``entry`` starts, in lines from the top of the log's view (None: no widget)."""
    widget = log.widget_of(entry)
    return None if widget is None else widget.virtual_region.y - round(log.scroll_y)


async def test_widgets_that_left_the_log_let_go_of_their_lines(fake_gemini):
    gc.disable()  # what is removed stays until a collection: it must be small meanwhile
    try:
        app = make_app(keyed_settings(fake_gemini.base_url))
        async with app.run_test(size=(100, 30)) as pilot:
            seen: list[weakref.ref] = []
            await long_chat(fake_gemini, pilot, seen)
            log = app.screen.log_view
            assert len(log.mounted_entries) < len(log.entries) - 4  # most have no widgets
            removed = [widget for ref in seen if (widget := ref()) is not None and not widget.is_attached]
            assert removed
            assert all(widget.line_count == 0 for widget in removed)
    finally:
        gc.enable()


async def test_finished_replies_come_back_from_the_cache_a_page_at_a_time(fake_gemini, monkeypatch):
    renders = []
    real_render = markdown_lines.render_markdown_lines
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 30)) as pilot:
        await long_chat(fake_gemini, pilot, [])
        log = app.screen.log_view
        replies = [entry for entry in log.entries if entry.role == "model"]
        width = FrozenMarkdown.render_width(app.screen.query(FrozenMarkdown).last())
        # (The first ones were drawn before the log had a scrollbar: at another width.)
        assert all((entry.turn.text, width) in markdown_lines._cache for entry in replies[-3:])

        monkeypatch.setattr(markdown_lines, "render_markdown_lines", lambda *args: renders.append(args) or real_render(*args))
        log.focus()
        for key in ["pageup"] * 3 + ["pagedown"] * 2:
            # What the user sees: the line at the top of the view moves by one page, at once.
            # (The log may correct its offset as real heights replace estimates above the
            # view; the scrollbar then moves, the content does not.)
            top = next(entry for entry in log.visible_entries() if entry.widget.virtual_region.bottom > log.scroll_y)
            before = on_screen(log, top)
            page = log.scrollable_content_region.height  # the status line below may have come or gone
            expected = before + (page if key == "pageup" else -page)
            scrolled_from = (log.scroll_y, log.max_scroll_y)
            await pilot.press(key)
            steady = 0
            for _ in range(300):  # one page, at once: not a step of an animation
                await pilot.pause()
                moved = not log._reconcile_pending and on_screen(log, top) == expected
                steady = steady + 1 if moved else 0
                if steady == 3:
                    break
            # For a failure's message: where the log was and is, and what it knows of the heights.
            state = dict(scroll=(scrolled_from, (log.scroll_y, log.max_scroll_y)), released=log._anchor_released,
                         focused=app.focused, heights=[entry.height for entry in log.entries])
            assert on_screen(log, top) == expected, (key, before, expected, on_screen(log, top), state)
            assert not log._at_bottom()
            assert any(entry.widget is not None and entry.widget.region.overlaps(log.scrollable_content_region) for entry in log.mounted_entries)
        assert renders == []  # every reply that came back into view came from the cache


async def test_a_full_pass_put_off_by_replies_in_a_row_runs_right_after_one(monkeypatch):
    if "gc-policy" not in tuning.applied():
        return
    passes: list[int] = []
    monkeypatch.setattr(gc_policy, "COLLECT_AFTER_REPLY", 60.0)
    monkeypatch.setattr(gc_policy, "_after_reply", lambda: passes.append(1))
    monkeypatch.setattr(gc_policy, "_put_off", 0)
    monkeypatch.setattr(gc_policy, "_collect_after_reply", None)
    for _ in range(gc_policy.PUT_OFF_AT_MOST + 1):  # each reply starts before the last one's pass
        hooks.announce("reply_started")
        hooks.announce("reply_finished")
        await asyncio.sleep(gc_policy.COLLECT_WHEN_PUT_OFF * 2)
    assert gc_policy._put_off == gc_policy.PUT_OFF_AT_MOST
    for _ in range(100):
        if passes:
            break
        await asyncio.sleep(0.02)
    assert passes == [1]
