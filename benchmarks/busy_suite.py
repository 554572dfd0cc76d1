"""Run the test suite several times while other processes keep every core busy.

    python benchmarks/busy_suite.py                 # 5 runs of `python -m pytest -n auto`, 2 CPU hogs
    python benchmarks/busy_suite.py --runs 3 --hogs 2 -- -x tests/ui

A suite that passes on an idle machine can hide tests that depend on timing; on a
2-core laptop doing other work they fail. The hogs are plain busy loops at normal
priority. Prints each run's outcome and duration, and for a failed run its failures
(the summary cuts their messages at 80 columns: the whole output is kept in a file,
whose path is printed). Exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOG = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: one per CPU)")
    parser.add_argument("pytest_args", nargs="*", default=["-n", "auto"], help="after --: what to pass to pytest")
    args = parser.parse_args(argv)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    failures = 0
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", *args.pytest_args], cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            took = time.monotonic() - started
            summary = next((line for line in reversed(result.stdout.splitlines()) if " in " in line and "=" in line), "")
            ok = result.returncode == 0
            failures += not ok
            print(f"run {run}/{args.runs}: {'PASS' if ok else 'FAIL'} in {took:.0f} s  {summary.strip('= ')}", flush=True)
            if not ok:
                failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
                print("\n".join(f"    {line}" for line in failed[:20]), flush=True)
                with tempfile.NamedTemporaryFile("w", prefix=f"busy-run{run}-", suffix=".txt", delete=False) as kept:
                    kept.write(result.stdout)
                print(f"    whole output: {kept.name}", flush=True)
    finally:
        for hog in hogs:
            hog.kill()
    print(f"{args.runs - failures} of {args.runs} runs passed with {args.hogs} busy processes.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
