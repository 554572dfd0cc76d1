"""Files a killed process left behind: removed when the next one starts."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path


def remove_leftovers(folder: Path, pattern: str, *, older_than: float) -> list[Path]:
    """Delete the files matching ``pattern`` in ``folder`` that are ours, regular and older
    than ``older_than`` seconds (a younger one may belong to a save in progress in another
    instance of the app); returns what was removed. Never raises."""
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(pattern))
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        try:
            info = candidate.lstat()
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < older_than:
                continue
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                continue
            candidate.unlink()
        except OSError:
            continue
        removed.append(candidate)
    return removed
