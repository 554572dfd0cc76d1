"""A long chat: does turn 200 cost what turn 1 cost?

``python -m benchmarks.long_chat [--turns 200] [--out FILE]``

The real app (tuned as the entry point tunes it; ``G2D_TUI_NO_TUNING=1`` for stock Textual)
under ``run_test(size=(100, 40))`` chats ``--turns`` times with the loopback fake Gemini
(a child process), each reply ~2.4 KB of Markdown streamed at 200 chunks/s. Per turn:

* Enter -> own prompt on screen: the first frame that shows the user's new message;
* Enter -> reply finished: the first frame after the reply ended with its last words shown;
* the largest event-loop stall during the turn (a 5 ms sleeper, as in the other rows);
* RSS after the turn.

Then a page of scrolling, anywhere in the chat: page-up keys from the end, each timed from
the key to the first frame that shows the new page with no gap, and to the log's window of
widgets moved around it (with the largest stall meanwhile). The table
compares the first 10 turns with the last 10; every turn is in the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import StallMonitor, ensure_repo_on_path, isolate, memory  # noqa: E402

ensure_repo_on_path()

REPLY_RATE = 200.0
"""Chunks per second of each reply (80 chunks: 0.4 s a reply)."""


async def long_chat(turns: int, workdir: Path, pages: int = 12, on_turn=None) -> dict:
    """The scenario; ``on_turn(turn, app)`` (optional, awaited) runs after each turn."""
    from benchmarks.fixtures import turn_marker
    from benchmarks.scenarios import FrameWatch, build_app, remote_fakes, submit, until_idle_with_models

    served = ["--chat-turns", str(turns), "--rate", str(REPLY_RATE)]
    rows: list[dict] = []
    with remote_fakes(workdir, *served) as urls:
        app = build_app(urls["gemini"], "http://127.0.0.1:9", workdir / "pictures")
        async with app.run_test(size=(100, 40)) as pilot:
            await until_idle_with_models(app, pilot)
            log = app.screen.log_view
            watch, monitor = FrameWatch(app), StallMonitor()
            monitor.start()
            for turn in range(turns):
                text = f"question {turn}: tell me about it"

                def prompt_shown() -> bool:
                    users = [entry for entry in log.entries if entry.role == "user"]
                    widget = users[-1].widget if users and users[-1].turn.text == text else None
                    return widget is not None and widget.region.height > 0

                watch.arm(prompt_shown)
                monitor.reset()
                sent = time.perf_counter()
                await submit(pilot, text)
                shown = await watch.wait(timeout=60)
                marker = turn_marker(turn)

                def reply_finished() -> bool:
                    reply = log.entries[-1] if log.entries else None
                    if reply is None or reply.role != "model" or reply.turn.state != "complete":
                        return False
                    widget = reply.widget
                    return widget is not None and widget.text.endswith(marker) and widget.region.height > 0

                watch.arm(reply_finished)
                finished = await watch.wait(timeout=120)
                await app.screen.workers.wait_for_complete()
                rows.append({
                    "turn": turn + 1, "prompt_on_screen": shown - sent, "reply_finished": finished - sent,
                    "max_stall": monitor.max_late, "rss": memory().get("VmRSS", 0.0),
                    "widgets": len(log.children), "mounted_entries": len(log.mounted_entries),
                })
                if on_turn is not None:
                    await on_turn(turn + 1, app)
            scrolls = await scroll_pages(pilot, log, watch, monitor, pages)
            await monitor.stop()
    return {"turns": rows, "scrolls": scrolls, "reply_rate": REPLY_RATE}


async def scroll_pages(pilot, log, watch, monitor, pages: int) -> list[dict]:
    """Page up from the end, then down again. Per key: key -> the first frame that shows the
    new page with no gap (no spacer in view: entries drawn from the data cover it), and key ->
    the log's window of widgets moved (mounted around the new view, ready for the next key)."""
    results = []
    log.focus()
    await pilot.pause()
    for key in ["pageup"] * pages + ["pagedown"] * (pages // 2):
        before = log.scroll_y

        def page_shown() -> bool:
            if log.scroll_y == before:
                return False
            view = log.scrollable_content_region
            if any(spacer.region.overlaps(view) for spacer in (log._top, log._bottom)):
                return False  # part of the view is a placeholder, not yet drawn entries
            return any(entry.widget is not None and entry.widget.region.overlaps(view) for entry in log.mounted_entries)

        monitor.reset()
        watch.arm(page_shown)
        pressed = time.perf_counter()
        # Not awaited yet: Pilot.press returns only once the app is idle, long after both.
        pressing = asyncio.create_task(pilot.press(key))
        shown = await watch.wait(timeout=10)  # the scroll has asked for its reconcile by then
        while log._reconcile_pending:  # the window follows in its own turn of the loop
            await asyncio.sleep(0.001)
        settled = time.perf_counter()
        await pressing
        await pilot.pause(0.05)
        results.append({
            "key": key, "to_frame": shown - pressed, "to_window_moved": settled - pressed,
            "max_stall": monitor.max_late, "moved": log.scroll_y - before,
        })
    return results


def summary(result: dict) -> dict:
    rows = result["turns"]
    first, last = rows[:10], rows[-10:]

    def med(part, name):
        return statistics.median(row[name] for row in part)

    growth = None
    if len(rows) >= 30:  # MB per turn: slope of RSS over the turns after the first 20
        tail = rows[20:]
        xs, ys = [row["turn"] for row in tail], [row["rss"] for row in tail]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        growth = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
    scrolls = result["scrolls"]
    return {
        "turns": len(rows),
        "prompt_first": med(first, "prompt_on_screen"), "prompt_last": med(last, "prompt_on_screen"),
        "finished_first": med(first, "reply_finished"), "finished_last": med(last, "reply_finished"),
        "stall_first": max(row["max_stall"] for row in first), "stall_last": max(row["max_stall"] for row in last),
        "rss_first": first[-1]["rss"], "rss_last": last[-1]["rss"], "rss_per_turn": growth,
        "widgets_last": last[-1]["widgets"],
        "scroll_median": statistics.median(s["to_frame"] for s in scrolls) if scrolls else None,
        "scroll_max": max((s["to_frame"] for s in scrolls), default=None),
        "scroll_stall_max": max((s["max_stall"] for s in scrolls), default=None),
        "scroll_settled_median": statistics.median(s["to_window_moved"] for s in scrolls) if scrolls else None,
        "scroll_settled_max": max((s["to_window_moved"] for s in scrolls), default=None),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--out", help="write every turn as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="g2d-bench-") as tmp:
        isolate(Path(tmp))
        result = asyncio.run(long_chat(args.turns, Path(tmp)))
    result["summary"] = summary(result)
    if args.out:
        Path(args.out).write_text(json.dumps(result))
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
