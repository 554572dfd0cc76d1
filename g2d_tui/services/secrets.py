"""The live secret values (API keys, tokens), so any text can be scrubbed of them.

Keys are remembered where they enter the app (settings loaded or saved, the environment
read) and :func:`redact_all` masks every one of them in a text: crash reports, the crash
screen, log records. It is a last line of defence; code that holds a key still keeps it
out of messages and reprs in the first place.

:func:`install_log_filter` makes every log record pass through :class:`RedactingFilter`.
A filter set on the root logger alone only sees records logged on the root logger itself
(records of ``g2d_tui.services.gemini`` and the SDK propagate to the root's *handlers*,
skipping the root's filters), so the filter is also run by the log record factory, which
every logger uses to create its records.
"""

from __future__ import annotations

import logging
import threading

MASK = "••••"
MIN_LENGTH = 4
"""Shorter values are not masked: they would mask ordinary words everywhere (and are no real key)."""

_lock = threading.Lock()
_values: tuple[str, ...] = ()
"""Remembered secrets, longest first (a key containing another is masked whole)."""


def remember(*values: str | None) -> None:
    """Add ``values`` (empty or very short ones are skipped) to the secrets to mask."""
    global _values
    new = {value.strip() for value in values if isinstance(value, str) and len(value.strip()) >= MIN_LENGTH}
    new |= {value for value in values if isinstance(value, str) and len(value) >= MIN_LENGTH}
    with _lock:
        if new <= set(_values):
            return
        _values = tuple(sorted(set(_values) | new, key=len, reverse=True))


def forget_all() -> None:
    """Drop every remembered secret (tests; a new process starts empty anyway)."""
    global _values
    with _lock:
        _values = ()


def known() -> bool:
    """True once any secret is remembered."""
    return bool(_values)


def redact_all(text: str) -> str:
    """``text`` with every remembered secret replaced by :data:`MASK`."""
    for value in _values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def contains_secret(text: str) -> bool:
    """True if ``text`` holds a remembered secret."""
    return any(value in text for value in _values)


class RedactingFilter(logging.Filter):
    """Masks remembered secrets in a record's message, exception and stack text.

    The message is formatted here (once) when it holds a secret, and the exception text
    is pre-rendered into ``record.exc_text``, which formatters use instead of formatting
    ``exc_info`` again.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not _values:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it later
            message = str(record.msg)
        if contains_secret(message):
            record.msg, record.args = redact_all(message), None
        if record.exc_info and not record.exc_text:
            import traceback

            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text and contains_secret(record.exc_text):
            record.exc_text = redact_all(record.exc_text)
        if record.stack_info and contains_secret(record.stack_info):
            record.stack_info = redact_all(record.stack_info)
        return True


_installed: RedactingFilter | None = None


def install_log_filter() -> RedactingFilter:
    """Redact remembered secrets from every log record, whichever logger makes it. Idempotent."""
    global _installed
    if _installed is not None:
        return _installed
    redacting = RedactingFilter()
    logging.getLogger().addFilter(redacting)
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redacting.filter(record)
        return record

    logging.setLogRecordFactory(redacted_record)
    _installed = redacting
    return redacting
