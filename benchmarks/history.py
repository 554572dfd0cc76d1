"""Store-side timings of the history: what the conversations screen, the gallery and a search wait for.

    python benchmarks/history.py             # 10-item store vs 1,000 conversations / 10,000 pictures, 7 runs
    python benchmarks/history.py --runs 3 --keep /tmp/g2d-history   # keep (and reuse) the generated stores

Every run opens the store afresh (as the app starts) and times, on that connection:

- ``open``: ``HistoryStore.open`` (WAL, foreign keys, schema version; no full check);
- ``conversations``: the conversations screen's first page (50, with turn/picture counts);
- ``gallery``: the gallery's first page (60 pictures) plus the total count;
- ``gallery filter``: the same for a word typed in its filter box (a common word);
- ``search rare`` / ``search common``: ``search_conversations`` for the rarest and the most
  common word of a second turn from the middle of the history;
- ``turns window``: the last 50 turns of the longest conversation (2,000 turns) and its count;
- ``async search``: the rare search awaited through ``AsyncHistory`` from an event loop
  (end to end: the hop to the store's thread and back).

Every run is printed, then the median and the worst per row. The targets are the app's
(screens open in <= 300 ms, a search answers in <= 100 ms end to end); the store's part should
be a small fraction of them. The data are rows only (fake picture paths), made by
``benchmarks/history_data.py`` reproducibly. Wall-clock numbers depend on the machine and its
load: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.history_data import prepared, search_words  # noqa: E402
from g2d_tui.services.history import AsyncHistory, HistoryStore, PictureFilter  # noqa: E402

STORES = {
    "small": {"conversations": 10, "turns": 20, "pictures": 10, "long_turns": 20},
    "big": {"conversations": 1000, "turns": 20, "pictures": 10_000},
}


def _timed(results: dict[str, list[tuple[float, float]]], name: str, call):
    """Run ``call``, recording (wall, this thread's CPU) seconds: on a busy machine the CPU
    time shows what the query costs, the wall time what it cost this time."""
    started, cpu = time.perf_counter(), time.thread_time()
    value = call()
    results.setdefault(name, []).append((time.perf_counter() - started, time.thread_time() - cpu))
    return value


def one_run(path: Path, rare: str, common: str, long_id: int) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {}
    store = _timed(results, "open", lambda: HistoryStore.open(path))
    try:
        _timed(results, "conversations", lambda: store.conversations(limit=50))
        _timed(results, "gallery", lambda: (store.pictures(limit=60), store.picture_count()))
        text = PictureFilter(text=common)
        _timed(results, "gallery filter", lambda: (store.pictures(text, limit=60), store.picture_count(text)))
        hits = _timed(results, "search rare", lambda: store.search_conversations(rare))
        _timed(results, "search common", lambda: store.search_conversations(common))
        _timed(results, "turns window", lambda: (store.turns(long_id, -50, 50), store.turn_count(long_id)))
    finally:
        store.close()
    assert hits, f"no conversation found for {rare!r}"
    return results


async def async_run(path: Path, rare: str) -> tuple[float, float]:
    """(wall, nan): the CPU time is spent in two threads, so only the wall time is shown."""
    history = await AsyncHistory.open(path)
    try:
        started = time.perf_counter()
        await history.search_conversations(rare)
        return time.perf_counter() - started, float("nan")
    finally:
        await history.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="folder for the generated stores (reused when present)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="g2d-history-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        table = []
        for label, size in STORES.items():
            path, info = prepared(folder, label, size)
            print(f"  {info['conversations']} conversations, {info['turns']} turns, {info['pictures']} pictures, "
                  f"{path.stat().st_size / 1e6:.1f} MB")
            rare, common = search_words(path, info["second_turn"])
            print(f"  words from a second turn: rare {rare!r}, common {common!r}")
            merged: dict[str, list[tuple[float, float]]] = {}
            for run in range(1, args.runs + 1):
                results = one_run(path, rare, common, info["long_conversation"])
                results["async search"] = [asyncio.run(async_run(path, rare))]
                print(f"  run {run} (ms, wall): "
                      + ", ".join(f"{name} {values[0][0] * 1000:.1f}" for name, values in results.items()))
                for name, values in results.items():
                    merged.setdefault(name, []).extend(values)
            for name, values in merged.items():
                walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
                table.append((label, name, statistics.median(walls), max(walls), statistics.median(cpus)))
        print()
        print(f"{'store':<6} {'query':<15} {'median':>9} {'worst':>9} {'median CPU':>11}")
        for label, name, middle, worst, cpu in table:
            cpu_text = "-" if cpu != cpu else f"{cpu * 1000:.1f} ms"
            print(f"{label:<6} {name:<15} {middle * 1000:6.1f} ms {worst * 1000:6.1f} ms {cpu_text:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
