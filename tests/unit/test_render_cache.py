"""The render cache of finished replies: bounded in lines, filled the same way as it is read."""

from __future__ import annotations

import pytest

from g2d_tui.widgets import markdown_lines
from g2d_tui.widgets.markdown_lines import cache_size, cached_lines, keep_rendered, render_markdown_lines


@pytest.fixture
def empty_cache(monkeypatch):
    monkeypatch.setattr(markdown_lines, "_cache", type(markdown_lines._cache)())
    monkeypatch.setattr(markdown_lines, "_cached_lines", 0)


def reply(n: int) -> str:
    return f"## Reply {n}\n\n" + "".join(f"- point {i} of reply {n}, in a few words\n" for i in range(8)) + "\nThe end.\n"


def test_the_cache_stays_within_its_lines_after_many_replies(empty_cache, monkeypatch):
    monkeypatch.setattr(markdown_lines, "CACHE_LINES", 100)
    for n in range(60):
        cached_lines(reply(n), 60)
    replies, lines = cache_size()
    assert lines <= 100
    assert 0 < replies < 60
    assert lines == sum(len(kept) for kept in markdown_lines._cache.values())
    # The newest are the ones kept.
    assert (reply(59), 60) in markdown_lines._cache and (reply(0), 60) not in markdown_lines._cache


async def test_a_reply_kept_ahead_is_what_a_render_would_make_and_counts_toward_the_bound(empty_cache, monkeypatch):
    monkeypatch.setattr(markdown_lines, "CACHE_LINES", 100)
    await keep_rendered(reply(1), 50)
    assert markdown_lines._cache[(reply(1), 50)] == render_markdown_lines(reply(1), 50)
    calls = []
    monkeypatch.setattr(markdown_lines, "render_markdown_lines", lambda *args: calls.append(args) or [])
    assert cached_lines(reply(1), 50) and calls == []  # drawn again without rendering
    for n in range(2, 40):
        await keep_rendered(reply(n), 50)
    assert cache_size()[1] <= 100
