"""What the fake Gemini API answers: the scripted behaviours tests queue
(``fake.enqueue(Reply(...), Error.rate_limited(), ...)``) and the hostile ones.

Each behaviour names the request kinds it ``applies_to`` (stream, generate, models).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from g2d_tui.devtools.fakes import hostile as H
from g2d_tui.devtools.fakes.gemini_wire import split_words

STREAM, GENERATE, MODELS = "stream", "generate", "models"
_GENERATING = frozenset({STREAM, GENERATE})
_ANY = frozenset({STREAM, GENERATE, MODELS})



@dataclass
class Reply:
    """A normal answer: ``chunks`` streamed one event each, ``delay`` seconds apart.

    On generateContent the chunks are joined into one response.
    """

    chunks: list[str] = field(default_factory=lambda: ["Hello", ", world", "!"])
    finish_reason: str | None = "STOP"
    delay: float = 0.0
    hold: threading.Event | None = field(default=None, compare=False, repr=False)
    """When given, the chunks after the first wait until it is set: a test says when the
    reply goes on, so what happens while it streams is tested without a race."""
    applies_to = _GENERATING

    @classmethod
    def of(cls, text: str, words_per_chunk: int = 3, **kwargs: Any) -> Reply:
        """``text`` split into chunks of a few words, e.g. ``Reply.of(long_markdown, delay=0.05)``."""
        return cls(split_words(text, words_per_chunk), **kwargs)


@dataclass
class JsonReply:
    """generateContent answer whose text is ``value`` (JSON-encoded unless already a str)."""

    value: Any
    applies_to = _GENERATING

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else json.dumps(self.value)


@dataclass
class Error:
    """An HTTP error status with a Google-style JSON body (see the helper constructors).

    A str body is sent as text/html, like a proxy's error page.
    """

    status: int
    body: dict | str
    applies_to = _ANY

    @classmethod
    def make(cls, code: int, status: str, message: str, *details: dict) -> Error:
        error = {"code": code, "message": message, "status": status}
        if details:
            error["details"] = list(details)
        return cls(code, {"error": error})

    @classmethod
    def invalid_key(cls) -> Error:
        message = "API key not valid. Please pass a valid API key."
        return cls.make(
            400, "INVALID_ARGUMENT", message,
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
        )

    @classmethod
    def bad_request(cls, message: str = "Request contains an invalid argument.") -> Error:
        return cls.make(400, "INVALID_ARGUMENT", message)

    @classmethod
    def permission_denied(cls) -> Error:
        return cls.make(403, "PERMISSION_DENIED", "Permission denied: the API is not enabled for this key's project.")

    @classmethod
    def model_not_found(cls, model: str = "gemini-nope") -> Error:
        return cls.make(
            404, "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their supported methods.",
        )

    @classmethod
    def rate_limited(cls, retry_delay: str | None = "19s") -> Error:
        details = [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        ]
        if retry_delay is not None:
            details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay})
        return cls.make(
            429, "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.", *details,
        )

    @classmethod
    def internal(cls) -> Error:
        return cls.make(500, "INTERNAL", "An internal error has occurred. Please retry or report it.")

    @classmethod
    def overloaded(cls) -> Error:
        return cls.make(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


@dataclass
class Blocked:
    """The prompt is blocked before generation: 200, ``promptFeedback``, no candidates."""

    reason: str = "SAFETY"
    applies_to = _GENERATING


@dataclass
class ErrorMidStream:
    """Stream ``chunks``, then a ``data: {"error": ...}`` event (default: 500 INTERNAL)."""

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer"])
    error_body: dict = field(default_factory=lambda: Error.internal().body)
    applies_to = _GENERATING


@dataclass
class CutStream:
    """Stream ``chunks`` and then drop the connection in the middle of the chunked body."""

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer"])
    applies_to = _GENERATING


@dataclass
class Hang:
    """Send nothing for ``seconds`` (ends early when the server stops), then drop the connection."""

    seconds: float = 30.0
    applies_to = _ANY


HOSTILE_MODES = {
    "text": "replies (stream and generateContent) full of control sequences and markup, cut across chunks",
    "prompt": "the /imagine prompt JSON holds control sequences and markup",
    "finish": "a finish reason that is no API value and holds control sequences and markup",
    "models": "model names and display names with control sequences and markup",
    "many-models": "100,000 models, paged 1,000 at a time as the real API pages",
    "errors": "every request fails; status cycles through ERROR_STATUSES, bodies hold controls and markup",
    "trickle": "every body is sent one byte at a time, trickle_interval seconds apart",
}
"""Modes for :meth:`FakeGemini.set_hostile` and ``--hostile``."""
ERROR_STATUSES = (400, 401, 403, 404, 429, 500, 502, 503, 504)
MANY_MODELS = 100_000
REAL_MAX_PAGE_SIZE = 1000
"""The models endpoint's largest page."""


def hostile_reply(text: str = H.MARKDOWN, size: int = 5, **kwargs: Any) -> Reply:
    """``text`` streamed in ``size``-character chunks: escape sequences cut across chunks."""
    return Reply(H.split_sequences(text, size), **kwargs)


def hostile_prompt() -> dict:
    """An /imagine prompt JSON whose fields attack the terminal and the markup parser."""
    return {"prompt": "a castle " + H.LINE, "negative_prompt": "blurry " + H.OSC52 + " [/x] " + H.CLEAR}


def hostile_error(status: int) -> Error:
    """``status`` with a Google-style body whose message holds controls and markup
    (502: an HTML proxy page, as proxies send)."""
    if status == 502:
        return Error(502, "<html><body>Bad gateway " + H.LINE + "</body></html>")
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    return Error.make(status, names.get(status, "UNKNOWN") + H.C1_CSI, "Failure " + H.LINE,
                      {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": H.OSC52 + "[/x]"})


def hostile_models() -> list[dict]:
    """Models whose names and display names attack; one ordinary model among them."""
    methods = ["generateContent", "countTokens"]
    names = [("gemini-evil-" + H.OSC52, "Evil " + H.OSC_TITLE), ("gemini-[/x]", "[bold red]Markup[/] [/x]"),
             ("gemini-c1" + H.C1_CSI, "C1 " + H.CLEAR), ("gemini-link", "[link=https://evil.example/]Link[/link]"),
             ("gemini-2.5-flash", "Gemini 2.5 Flash")]
    return [{"name": f"models/{name}", "displayName": display, "inputTokenLimit": 1000, "outputTokenLimit": 1000,
             "supportedGenerationMethods": methods} for name, display in names]


def many_models(count: int = MANY_MODELS) -> list[dict]:
    """``count`` chat models, as a huge tenant's or a hostile endpoint's list."""
    return [{"name": f"models/gemini-bulk-{i:06d}", "displayName": f"Bulk {i}", "inputTokenLimit": 1000,
             "outputTokenLimit": 1000, "supportedGenerationMethods": ["generateContent"]} for i in range(count)]
