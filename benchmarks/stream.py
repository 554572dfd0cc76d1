"""Shortcut for `python benchmarks/run.py --only stream` (extra flags such as --quick pass through)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--only", "stream", *sys.argv[1:]]))
