"""Errors that services raise for the UI to show.

They carry an i18n key and its parameters instead of a finished sentence, so the UI
translates at display time (the language can change while the app runs).
"""

from __future__ import annotations


class ServiceError(Exception):
    """A failure the user can understand and act on.

    Args:
        key: catalogue key of the message, e.g. ``"gemini.invalid_key"``.
        retry_after: seconds the service asked us to wait, when it said so.
        params: values for the message's ``{placeholders}``; never secrets.
    """

    def __init__(self, key: str, *, retry_after: float | None = None, **params: object) -> None:
        self.key = key
        self.retry_after = retry_after
        self.params = params
        super().__init__(f"{key} {params}" if params else key)

    def message(self) -> str:
        """The message in the current UI language."""
        from g2d_tui.i18n import t

        return t(self.key, **self.params)


def redact(text: str, *secrets: str) -> str:
    """Replace every non-empty secret in ``text`` with a mask, so it can be shown or logged."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "••••")
    return text


UNEXPECTED_LOG = "g2d_tui.unexpected"
"""The logger of failures nobody planned for (a bug): tests fail when it is used."""


def unexpected(error: BaseException) -> ServiceError:
    """A bug met while doing what the user asked, as an error the UI can show: the app keeps
    running, and the traceback goes to the log (keys masked by the log filter)."""
    import logging

    from g2d_tui.services.sanitize import clean_line

    logging.getLogger(UNEXPECTED_LOG).error("unexpected failure", exc_info=error)
    return ServiceError("errors.unexpected", reason=clean_line(f"{type(error).__name__}: {error}", 200))
