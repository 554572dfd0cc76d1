"""A streamed reply: the SDK's stream read in its own task, handed over as text.

Stopping the reply cancels that task, so the cancellation enters the SDK at its innermost
await (the socket read) and unwinds every nested generator and the response cleanly.
Two deadlines bound it: the whole reply, and the wait for each part (a server trickling a
byte every few seconds never trips a per-read timeout).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from g2d_tui.hooks import let_the_loop_run
from g2d_tui.services.gemini.errors import BLOCKING_FINISH, FINISH_KEYS, GeminiError
from g2d_tui.services.sanitize import clean, clean_line

log = logging.getLogger("g2d_tui.services.gemini")

REASON_LIMIT = 40


@dataclass(frozen=True)
class TokenCounts:
    """Token counts of one reply, from the API's usage metadata (None where it said nothing)."""

    prompt: int | None = None
    reply: int | None = None
    thoughts: int | None = None
    total: int | None = None


USAGE_FIELDS = ("prompt_token_count", "candidates_token_count", "thoughts_token_count", "total_token_count")
"""The usage metadata fields, in the order of :class:`TokenCounts`."""


@dataclass
class ReplyOutcome:
    finish_reason: str | None = None
    """"STOP", "MAX_TOKENS", "SAFETY", ... as the API said (cleaned, one line)."""
    cancelled: bool = False
    tokens: TokenCounts | None = field(default=None, compare=False)
    """The last usage metadata the stream carried (Gemini sends running totals)."""
    model_version: str | None = field(default=None, compare=False)
    """The model that answered, as the API named it (an alias resolves to a version)."""
    dropped_turns: int = 0
    """Old turns left out of the request to stay within the model's input limit."""

    @property
    def tokens_in(self) -> int | None:
        return self.tokens.prompt if self.tokens else None

    @property
    def tokens_out(self) -> int | None:
        return self.tokens.reply if self.tokens else None

    @property
    def truncated(self) -> bool:
        """The reply stopped early for a reason the user should be told about."""
        return self.finish_reason not in (None, "STOP")

    @property
    def notice_key(self) -> str | None:
        """Catalogue key explaining a truncated reply (params: ``reason``), else None."""
        if not self.truncated:
            return None
        return FINISH_KEYS.get(self.finish_reason or "", "gemini.finish_other")


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return clean_line(getattr(value, "value", value), REASON_LIMIT) or None


def _candidate_text(candidate: Any) -> str:
    content = getattr(candidate, "content", None)
    parts = getattr(content, "parts", None) or []
    return "".join(part.text for part in parts if getattr(part, "text", None) and not getattr(part, "thought", False))


class Said(NamedTuple):
    """What one response says: all the reply keeps of it (its text as sent: see
    :meth:`Reply.observe`, which cleans it)."""

    text: str
    finish_reason: str | None
    block_reason: str | None
    usage: tuple[int | None, ...] | None = None
    """Prompt, reply, thoughts and total tokens (the fields of :class:`TokenCounts`)."""
    model_version: str | None = None

    @classmethod
    def of(cls, response: Any) -> Said:
        feedback = getattr(response, "prompt_feedback", None)
        blocked = feedback is not None and feedback.block_reason is not None
        block_reason = _enum_text(feedback.block_reason) if blocked else None
        text, finish_reason = "", None
        for candidate in getattr(response, "candidates", None) or []:
            if candidate.finish_reason is not None:
                finish_reason = _enum_text(candidate.finish_reason)
            if (candidate.index or 0) == 0:
                text += _candidate_text(candidate)
        metadata = getattr(response, "usage_metadata", None)
        usage = None if metadata is None else tuple(_count(getattr(metadata, name, None)) for name in USAGE_FIELDS)
        version = getattr(response, "model_version", None)
        return cls(text, finish_reason, block_reason, usage, clean_line(version, 100) if version else None)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass
class Reply:
    text: str = ""
    finish_reason: str | None = None
    block_reason: str | None = None
    chunks: int = 0
    usage: tuple[int | None, ...] | None = None
    model_version: str | None = None
    _carriage_return: bool = False
    """The last piece ended in ``\r``: with a ``\n`` starting the next one, one line break."""

    def observe(self, said: Said) -> str:
        """Note what a response said and return its new text, cleaned of control characters.

        A piece is cleaned on its own, except a ``\r`` at its end, which waits for the next
        piece: ``\r\n`` cut in two is still one line break.
        """
        self.chunks += 1
        self.block_reason = said.block_reason or self.block_reason
        self.finish_reason = said.finish_reason or self.finish_reason
        self.usage = said.usage or self.usage
        self.model_version = said.model_version or self.model_version
        raw = ("\r" if self._carriage_return else "") + said.text
        self._carriage_return = raw.endswith("\r")
        text = clean(raw[:-1] if self._carriage_return else raw)
        self.text += text
        return text

    def flush(self) -> str:
        """What :meth:`observe` held back at the end of the reply (a lone ``\r``: a line break)."""
        if not self._carriage_return:
            return ""
        self._carriage_return = False
        self.text += "\n"
        return "\n"

    def refusal(self) -> GeminiError | None:
        """The error to raise when the reply ended without any text."""
        if self.text:
            return None
        if self.block_reason or self.finish_reason in BLOCKING_FINISH:
            return GeminiError("gemini.blocked", reason=self.block_reason or self.finish_reason)
        return GeminiError("gemini.empty_reply", reason=self.finish_reason or "—")

    def conclude(self, outcome: ReplyOutcome) -> None:
        outcome.finish_reason = self.finish_reason or (self.block_reason if self.text else None)
        outcome.tokens = TokenCounts(*self.usage) if self.usage else None
        outcome.model_version = self.model_version


END = object()
PUMP_SLICE = 0.003
"""Seconds the stream task may parse buffered responses before it lets the UI run."""


def is_last(item: Any) -> bool:
    return item is END or isinstance(item, Exception)


async def pump(start: Callable[[], Awaitable[AsyncIterator[Any]]], queue: asyncio.Queue[Any]) -> None:
    """Run the SDK stream, handing what each response says (then END or the error) to ``queue``."""
    try:
        sdk_stream = await start()
        slice_began, stopping = time.perf_counter(), False
        async for response in sdk_stream:
            # Only what it says is queued: a backlog of the SDK's responses (a few dozen
            # objects each) stayed alive in the queue while the UI was busy.
            queue.put_nowait(Said.of(response))
            del response
            # Responses already buffered are parsed without awaiting the socket, so a burst
            # of them (a fast reply, a slow moment in the UI) would run in one go.
            if not stopping and time.perf_counter() - slice_began > PUMP_SLICE:
                try:
                    await let_the_loop_run()
                except asyncio.CancelledError:
                    # Cancelled here, outside the SDK, its generators would stay suspended:
                    # ask again, so the cancellation comes at its next socket read.
                    stopping = True
                    asyncio.current_task().cancel()
                slice_began = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 - handed to the consumer
        queue.put_nowait(exc)
    else:
        queue.put_nowait(END)


async def close_response(failure: Exception) -> None:
    """Close the generators and HTTP response left open under a stream that failed mid-way:
    left to the garbage collector, asyncio would report "aclose(): asynchronous generator is
    already running"."""
    response = getattr(failure, "response", None)  # the SDK's HttpResponse
    for closer in (
        getattr(getattr(response, "segment_iterator", None), "aclose", None),
        getattr(getattr(response, "response_stream", None), "aclose", None),
    ):
        if closer is not None:
            try:
                await closer()
            except Exception:  # noqa: BLE001 - already failing
                log.debug("closing the Gemini stream failed", exc_info=True)


async def next_batch(queue: asyncio.Queue[Any], wait: float, deadline: float, limits: tuple[float, float]) -> list[Any]:
    """Everything queued, waiting at most ``wait`` seconds for the first item and never past
    ``deadline`` (loop time).

    Raises:
        GeminiError: ``gemini.stalled`` (nothing for ``wait`` seconds) or
            ``gemini.reply_deadline`` (the whole reply took too long); ``limits`` are the two
            figures, for the message.
    """
    loop = asyncio.get_running_loop()
    left = deadline - loop.time()
    try:
        async with asyncio.timeout(min(wait, max(left, 0.0))):
            batch = [await queue.get()]
    except TimeoutError:
        idle, whole = limits
        if left <= wait:
            raise GeminiError("gemini.reply_deadline", seconds=f"{whole:g}") from None
        raise GeminiError("gemini.stalled", seconds=f"{idle:g}") from None
    while not queue.empty() and not is_last(batch[-1]):
        batch.append(queue.get_nowait())
    return batch
