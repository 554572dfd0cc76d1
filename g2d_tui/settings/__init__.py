"""Typed settings and their TOML store. No Textual here."""

from g2d_tui.settings.model import Settings
from g2d_tui.settings.store import LoadResult, SettingsStore

__all__ = ["LoadResult", "Settings", "SettingsStore"]
