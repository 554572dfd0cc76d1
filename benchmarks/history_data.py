"""A history store of a given size, for the history benchmark: rows only, fake picture paths.

    python benchmarks/history_data.py OUT.sqlite3 [--conversations 1000] [--turns 20] [--pictures 10000]

Reproducible (a seeded ``random.Random``): the same arguments give the same rows, so two
runs measure the same data. The schema comes from ``HistoryStore.open``; the rows go in
with ``executemany`` in one transaction, through the real full-text triggers.

Text: a vocabulary of 4,000 made-up words drawn with Zipf-like weights (a few words are
everywhere, most are rare, as in real text); user turns have 8-40 words, replies 60-400
(Gemini answers at length), image turns a short request. One in five turns is an image
turn with one or two pictures; the other pictures are "imported" (no conversation). The
last conversation is a long one (:data:`LONG_TURNS` turns) for the turns-window timing.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from g2d_tui.services.history import HistoryStore  # noqa: E402
from g2d_tui.services.history.records import to_db_time  # noqa: E402

VOCABULARY = 4000
ZIPF_POOL = 2000
LONG_TURNS = 2000
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
_SYLLABLES = "ka lo mi ne ru sa ti vo be da fe gu ho ji lu ma no pe qui ro su ta ve xa zu".split()


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Text:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        # Word of rank r appears about ZIPF_POOL / r times: unweighted draws from the pool
        # are Zipf-distributed, and much faster than weighted ones.
        self.pool = [word for rank, word in enumerate(self.words, 1) for _ in range(max(1, ZIPF_POOL // rank))]

    def __call__(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(self.pool, k=self.rng.randint(low, high)))


def generate(
    path: Path, conversations: int = 1000, turns: int = 20, pictures: int = 10_000, seed: int = 1, long_turns: int = LONG_TURNS,
) -> dict:
    """Write a fresh store at ``path`` (replacing one there) and return what it holds.

    The last conversation has ``long_turns`` turns (when there are several conversations).
    Returns the counts, ``second_turn`` (the text of a second turn from the middle of the
    history) and ``long_conversation`` (the id of the long one).
    """
    rng = random.Random(seed)
    text = Text(rng)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    HistoryStore.open(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    # Bulk load: no journal, a big cache; the store goes back to WAL before it is closed.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    db.execute("BEGIN")
    conversation_rows, turn_rows, picture_rows = [], [], []
    turn_id = picture_id = 0
    image_turns: list[tuple[int, int, datetime]] = []
    span = timedelta(days=730) / max(1, conversations)
    for cid in range(1, conversations + 1):
        created = START + span * (cid - 1)
        count = long_turns if cid == conversations and conversations > 1 else turns
        moment = created
        for seq in range(count):
            turn_id += 1
            moment += timedelta(seconds=rng.randint(5, 120))
            role = "image" if seq % 5 == 4 else ("user" if seq % 2 == 0 else "model")
            body = text(8, 40) if role == "user" else text(60, 400) if role == "model" else text(4, 12)
            turn_rows.append((turn_id, cid, seq, role, body, "complete", "", None, None, "", to_db_time(moment)))
            if role == "image":
                image_turns.append((cid, turn_id, moment))
        conversation_rows.append((cid, text(3, 8)[:60], "gemini-2.5-flash", to_db_time(created), to_db_time(moment)))
    image_turns = image_turns[:pictures]
    for index in range(pictures):
        picture_id += 1
        linked = image_turns[index // 2] if index // 2 < len(image_turns) and index % 2 == 0 else None
        created = linked[2] if linked else START + timedelta(seconds=rng.randint(0, 730 * 86400))
        picture_rows.append((
            picture_id, f"/fake/pictures/{picture_id:06d}.png", f"{rng.getrandbits(256):064x}", rng.randint(200_000, 2_000_000),
            1024, 1024, text(20, 60), text(3, 12), rng.getrandbits(32), 30, 7.0, "stabilityai/stable-diffusion-xl-base-1.0",
            "huggingface", "hf-inference", text(4, 12), None, linked[0] if linked else None, linked[1] if linked else None,
            to_db_time(created),
        ))
    db.executemany("INSERT INTO conversations(id, title, model, created, updated) VALUES (?, ?, ?, ?, ?)", conversation_rows)
    db.executemany(
        "INSERT INTO turns(id, conversation_id, seq, role, text, state, model, tokens_in, tokens_out, detail, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", turn_rows,
    )
    db.executemany(
        "INSERT INTO pictures(id, path, sha256, file_size, width, height, prompt, negative_prompt, seed, steps,"
        " guidance_scale, model, backend, provider, request, parent_id, conversation_id, turn_id, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", picture_rows,
    )
    db.execute("COMMIT")
    db.execute("PRAGMA optimize")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    second = [row for row in turn_rows if row[2] == 1]
    return {
        "conversations": conversations, "turns": len(turn_rows), "pictures": pictures,
        "second_turn": second[len(second) // 2][4] if second else "",
        "long_conversation": conversations,
    }


def prepared(folder: Path, label: str, size: dict, *, also: Callable[[Path, str], None] | None = None) -> tuple[Path, dict]:
    """The store for ``label`` in ``folder`` (``size`` is :func:`generate`'s arguments),
    generated unless ``folder`` already holds one of that size, so ``--keep`` reuses it.

    Args:
        also: ``also(path, slug)`` runs once after a store is generated (extra files for it).
    """
    slug = label.replace(" ", "-").replace("/", "-")
    path, sidecar = folder / f"{slug}.sqlite3", folder / f"{slug}.json"
    if path.exists() and sidecar.exists():
        info = json.loads(sidecar.read_text())
        if info.get("size") == size:
            print(f"{label}: reusing {path}")
            return path, info
    started = time.perf_counter()
    info = {**generate(path, **size), "size": size}
    if also is not None:
        also(path, slug)
    sidecar.write_text(json.dumps(info))
    print(f"{label}: generated in {time.perf_counter() - started:.1f} s")
    return path, info


def search_words(path: Path, turn_text: str) -> tuple[str, str]:
    """The rarest and the most common word of ``turn_text`` in the store's turns."""
    db = sqlite3.connect(path)
    counts = {
        word: db.execute("SELECT count(*) FROM turns_fts WHERE turns_fts MATCH ?", (f'"{word}"',)).fetchone()[0]
        for word in set(turn_text.split())
    }
    db.close()
    return min(counts, key=lambda word: (counts[word], word)), max(counts, key=lambda word: (counts[word], word))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation")
    parser.add_argument("--pictures", type=int, default=10_000)
    parser.add_argument("--long-turns", type=int, default=LONG_TURNS, help="turns of the last conversation")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    info = generate(args.out, args.conversations, args.turns, args.pictures, args.seed, args.long_turns)
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {info['conversations']} conversations, {info['turns']} turns, {info['pictures']} pictures, "
          f"{size:.1f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
