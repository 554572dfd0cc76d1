"""What a long chat keeps: tracemalloc snapshots of the long_chat scenario, compared.

``python -m benchmarks.long_chat_memory [--turns 150] [--from-turn 50] [--frames 8] [--top 25]``

Runs :func:`benchmarks.long_chat.long_chat` (no scrolling) with tracemalloc on, takes a
snapshot after ``--from-turn`` and after the last turn (each after a full collection), and
prints what grew in between: by line, then by traceback for the largest ones. Memory, not
time, is what this measures (tracemalloc slows the app several times over).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ensure_repo_on_path, isolate, memory  # noqa: E402

ensure_repo_on_path()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=150)
    parser.add_argument("--from-turn", type=int, default=50)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    snapshots: dict[int, tracemalloc.Snapshot] = {}
    rss: dict[int, float] = {}

    async def on_turn(turn: int, app) -> None:
        if turn == 1:  # from start-up on, it made the app too slow to start within the scenario's limits
            tracemalloc.start(args.frames)
        if turn in (args.from_turn, args.turns):
            gc.collect()
            snapshots[turn] = tracemalloc.take_snapshot()
            rss[turn] = memory().get("VmRSS", 0.0)

    from benchmarks.long_chat import long_chat

    with tempfile.TemporaryDirectory(prefix="g2d-bench-") as tmp:
        isolate(Path(tmp))
        asyncio.run(long_chat(args.turns, Path(tmp), pages=0, on_turn=on_turn))
    before, after = snapshots[args.from_turn], snapshots[args.turns]
    turns = args.turns - args.from_turn
    filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(filters), after.filter_traces(filters)
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    print(f"turns {args.from_turn}->{args.turns}: traced {total / 1e6:+.2f} MB ({total / turns / 1e3:+.1f} KB/turn), "
          f"RSS {rss[args.from_turn]:.1f} -> {rss[args.turns]:.1f} MB")
    print("\n== by line ==")
    for stat in after.compare_to(before, "lineno")[: args.top]:
        print(f"{stat.size_diff / 1e3:+10.1f} KB {stat.count_diff:+8d}  {stat.traceback[0]}")
    print("\n== by traceback ==")
    for stat in after.compare_to(before, "traceback")[: min(args.top, 12)]:
        print(f"{stat.size_diff / 1e3:+10.1f} KB {stat.count_diff:+8d}")
        for line in stat.traceback.format()[-2 * args.frames :]:
            print("    " + line)


if __name__ == "__main__":
    main()
