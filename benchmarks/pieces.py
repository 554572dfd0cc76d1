"""What each runtime-tuning piece earns: its target rows with the whole layer on, without
that one piece, and with the layer off.

    python benchmarks/pieces.py                    # every piece (long: each runs its sections)
    python benchmarks/pieces.py --pieces footer,gc-policy --quick
    python benchmarks/pieces.py --markdown docs/pieces.md

Each piece is measured on the rows it was written for (``TARGET_SECTIONS``), by
``benchmarks/run.py --only ... --without PIECE``; the "tuned" and "off" columns come from
one run of each section. A piece earns its place when a row moves past the run-to-run
noise in its favour (compare the row's spread in ``run.py``'s own listing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

TARGET_SECTIONS = {
    "gc-policy": ["stream", "memory", "chat"],
    "allocator": ["memory"],
    "terminal-probe": ["cold"],
    "geometry-caches": ["chat"],
    "lazy-strip-caches": ["stream", "memory"],
    "paint-after-slow-layouts": ["stream"],
    "preload-css": ["cold", "image"],
    "footer": ["stream", "memory"],
    "growing-markdown": ["stream"],
    "graphics-in-threads": ["image"],
    "gemini-direct": ["chat"],
}
"""The benchmark sections whose rows a piece is meant to move."""


def measure(sections: list[str], quick: bool, *flags: str) -> dict[str, str]:
    """Row name -> value of one ``run.py`` over ``sections``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    try:
        command = [sys.executable, "benchmarks/run.py", "--json", str(path), *flags]
        command += [f"--only={name}" for name in sections] + (["--quick"] if quick else [])
        subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
        rows = json.loads(path.read_text())["rows"]
        return {row["metric"]: str(row["value"]) for row in rows if row["target"]}
    finally:
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", help="comma-separated pieces (default: all)")
    parser.add_argument("--quick", action="store_true", help="run.py's smoke mode (noisy: a first look only)")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    args = parser.parse_args(argv)
    pieces = args.pieces.split(",") if args.pieces else list(TARGET_SECTIONS)
    unknown = [name for name in pieces if name not in TARGET_SECTIONS]
    if unknown:
        parser.error(f"unknown pieces: {', '.join(unknown)}")
    sections = sorted({name for piece in pieces for name in TARGET_SECTIONS[piece]})
    tuned, off = {}, {}
    for section in sections:
        tuned[section] = measure([section], args.quick)
        off[section] = measure([section], args.quick, "--no-tuning")
        print(f"... {section}: tuned and off", file=sys.stderr, flush=True)
    lines = ["| piece | row | tuned | without the piece | layer off |", "| --- | --- | --- | --- | --- |"]
    for piece in pieces:
        for section in TARGET_SECTIONS[piece]:
            without = measure([section], args.quick, f"--without={piece}")
            for metric, value in tuned[section].items():
                lines.append(f"| {piece} | {metric} | {value} | {without.get(metric, '?')} | {off[section].get(metric, '?')} |")
            print(f"... {piece} / {section}", file=sys.stderr, flush=True)
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
