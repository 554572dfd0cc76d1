"""A turn the log has not shown at the current width (a resumed conversation, a resize) holds
an estimated height until it is shown: close estimates keep the scrollbar honest and the
correction small when the real height replaces it."""

from __future__ import annotations

import pytest

from g2d_tui.conversation import Turn
from g2d_tui.widgets.chat_log import Entry
from tests.ui.helpers import keyed_settings, make_app, settle, until

REPLIES = {
    "paragraphs": "## Answer\n\n" + "".join(f"Paragraph {i}, a line or two of words.\n\n" for i in range(12)),
    "lists": "Some intro.\n\n- one\n- two, which is long: " + "word " * 30 + "\n- three\n\n1. first\n2. second\n",
    "code": "Look:\n\n```python\ndef f(x):\n    return x\n\nprint(f(1))\n```\n\nDone.",
    "one long paragraph": ("word " * 200).strip(),
    "headings and a quote": "# Title\n\nText.\n\n## Sub\n\n> a quote\n\nEnd.",
}


@pytest.mark.parametrize("text", REPLIES.values(), ids=REPLIES.keys())
async def test_a_replys_estimated_height_is_close_to_its_real_one(fake_gemini, text):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        log = app.screen.log_view
        entry = await log.add(Entry(Turn("model", text)))
        estimate = entry.height
        widget = entry.widget
        await until(pilot, lambda: widget.size.height > 0 and not log._reconcile_pending, "the reply laid out")
        await settle(pilot)
        log._measure()
        assert abs(entry.height - estimate) <= 2, (estimate, entry.height)
