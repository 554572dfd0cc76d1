"""Folder checks and opening a folder in the desktop's file manager."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def check_writable_folder(path: str) -> str | None:
    """Return None when ``path`` is (or can become) a writable folder, else an i18n key.

    Nothing is left behind: a folder we had to create for the test is removed again.
    """
    if not path.strip():
        return "settings.error.folder_empty"
    folder = Path(path).expanduser()
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return "settings.error.folder_unwritable"
        existing = existing.parent
    if not existing.is_dir():
        return "settings.error.folder_is_file"
    if existing == folder:
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError:
            return "settings.error.folder_unwritable"
        return None
    return None if os.access(existing, os.W_OK | os.X_OK) else "settings.error.folder_unwritable"


def open_in_file_manager(folder: Path) -> bool:
    """Open ``folder`` with the platform's opener; False when there is none (e.g. over SSH)."""
    if sys.platform == "darwin":
        command = ["open", str(folder)]
    elif sys.platform == "win32":
        command = ["explorer", str(folder)]
    else:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or not shutil.which("xdg-open"):
            return False
        command = ["xdg-open", str(folder)]
    if not folder.is_dir():
        return False
    try:
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    return True
