"""The app's memory: conversations, turns and the picture gallery in one SQLite file.

Use :class:`AsyncHistory` from the UI (every call runs in one dedicated thread) or
:class:`HistoryStore` directly from a single thread. Opening fails with
:class:`HistoryUnavailable` (run without history); later failures raise
:class:`HistoryError`. Both are :class:`~g2d_tui.services.errors.ServiceError`.
"""

from g2d_tui.services.history.errors import HistoryError, HistoryUnavailable
from g2d_tui.services.history.facade import AsyncHistory
from g2d_tui.services.history.parameters import parse_comfy_prompt, parse_parameters
from g2d_tui.services.history.records import ImportResult, PictureFilter, SearchHit, title_from_request
from g2d_tui.services.history.schema import SCHEMA_VERSION
from g2d_tui.services.history.store import HistoryStore

__all__ = [
    "SCHEMA_VERSION",
    "AsyncHistory",
    "HistoryError",
    "HistoryStore",
    "HistoryUnavailable",
    "ImportResult",
    "PictureFilter",
    "SearchHit",
    "parse_comfy_prompt",
    "parse_parameters",
    "title_from_request",
]
