"""The chat's "no key yet" notes follow the settings: once the key is set the note says it
is ready, and back if the key is cleared again (left as it was, it contradicted the
settings just saved)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from g2d_tui.widgets.turns import Note

if TYPE_CHECKING:
    from g2d_tui.widgets.chat_log import ChatLog

KEY_NOTES = {"keys.missing_gemini": "keys.ready_gemini", "keys.missing_hf": "keys.ready_hf"}
"""Each "no key yet" note and the "ready" note it turns into once that key is set."""
_KEY_NOTE_PAIRS = {key: pair for pair in KEY_NOTES.items() for key in pair}


def settle_missing_key_notes(log: ChatLog, missing: list[str]) -> None:
    """Word each key note of ``log`` as ``missing`` (catalogue keys of the missing keys) says."""
    for entry in log.entries:
        pair = _KEY_NOTE_PAIRS.get(entry.key) if entry.role == "note" else None
        if pair is None:
            continue
        missing_key, ready_key = pair
        wanted = (missing_key, "warning") if missing_key in missing else (ready_key, "info")
        if entry.key != wanted[0]:
            widget = log.widget_of(entry)
            if isinstance(widget, Note):
                widget.show_message(*wanted)
            else:
                entry.key, entry.level = wanted
