"""Where g2d-tui keeps its files (platformdirs) and finds its stylesheets."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "g2d-tui"
CONFIG_ENV = "G2D_TUI_CONFIG"
DATA_ENV = "G2D_TUI_DATA"
HISTORY_FILE_NAME = "history.sqlite3"


def config_path() -> Path:
    """The settings file: ``$G2D_TUI_CONFIG`` or the platform's config dir."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def data_dir() -> Path:
    """The app's data folder: ``$G2D_TUI_DATA`` or the platform's user data dir."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def history_path(explicit: Path | str | None = None) -> Path:
    """The history database: ``explicit`` if given, else ``data_dir() / "history.sqlite3"``."""
    if explicit:
        return Path(explicit).expanduser()
    return data_dir() / HISTORY_FILE_NAME


def thumbnails_dir() -> Path:
    """Where gallery thumbnails are cached: the platform's user cache dir plus ``thumbnails``."""
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False) / "thumbnails"


def default_save_dir() -> Path:
    """The user's pictures folder plus ``g2d-tui``."""
    from platformdirs import user_pictures_path

    return user_pictures_path() / APP_NAME


def styles_dir() -> Path:
    """``g2d_tui/styles`` in an installed wheel, the repo's ``styles/`` in a checkout."""
    here = Path(__file__).parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


def display_path(path: Path | str) -> str:
    """``path`` with the home folder shown as ``~``: shorter, and hides the user name on screen."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text
