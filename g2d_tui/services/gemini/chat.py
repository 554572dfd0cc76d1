"""GeminiChat: one conversation with Gemini — its history, the streamed replies, the
/imagine prompts and the model list. Every failure reaches the caller as a GeminiError.

Consumers should close the stream generator when they stop early, e.g.
``async with contextlib.aclosing(chat.stream(text)) as fragments: ...``; cancelling the
task that iterates it works too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from g2d_tui.hooks import slot
from g2d_tui.services.gemini import models as model_list
from g2d_tui.services.gemini.client import ClientCache, GeminiConfig
from g2d_tui.services.gemini.errors import GeminiError, log_failure, map_error
from g2d_tui.services.gemini.history import ChatHistory, Turn
from g2d_tui.services.gemini.models import ModelInfo
from g2d_tui.services.gemini.prompts import (
    IMAGE_PROMPT_INSTRUCTION,
    IMAGE_PROMPT_SCHEMA,
    ImagePrompt,
    parse_image_prompt,
    trim_prompt,
)
from g2d_tui.services.gemini.stream import END, Reply, ReplyOutcome, Said, close_response, is_last, next_batch, pump

log = logging.getLogger("g2d_tui.services.gemini")


class GeminiChat:
    """One conversation: configuration, history and a cached SDK client."""

    def __init__(self, config: GeminiConfig, history: list[Turn] | None = None) -> None:
        self._client = ClientCache(config)
        self._history = ChatHistory(history)
        self.last_outcome: ReplyOutcome | None = None

    @property
    def config(self) -> GeminiConfig:
        return self._client.config

    @property
    def history(self) -> list[Turn]:
        return self._history.turns

    # ------------------------------------------------------------ lifecycle

    def reconfigure(self, config: GeminiConfig) -> None:
        """Use a new key/model/parameters; the history stays."""
        self._client.reconfigure(config)

    def reset(self, history: list[Turn] | None = None) -> None:
        """Start a new chat, or go on with ``history`` (a resumed conversation)."""
        self._history.replace(history or [])
        self.last_outcome = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def sdk(self) -> Any:
        """The SDK client (for other services that use the chat's key, e.g. image generation)."""
        return await self._client.get()

    # ------------------------------------------------------------ chat

    def _history_budget(self, config: GeminiConfig) -> int | None:
        if config.max_history_tokens > 0:
            return config.max_history_tokens
        return model_list.input_limit(model_list.cache_key(config.effective_base_url, config.api_key), config.model)

    async def stream(self, text: str) -> AsyncIterator[str]:
        """Send ``text`` with the history and yield the reply's text fragments (clean text).

        The history gains the user turn and one merged model turn when the reply ends, or
        when it is cancelled after some text arrived; an error leaves it unchanged.
        """
        config = self.config
        client = await self._client.get()  # raises gemini.no_key before any request
        from google.genai import types

        self.last_outcome = None
        first = self._history.first_sent(text, self._history_budget(config))
        new = types.Content(role="user", parts=[types.Part(text=text)])
        generation = types.GenerateContentConfig(
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
            max_output_tokens=config.max_output_tokens,
            # No tools here. Left on, the SDK's function-calling loop keeps every chunk's
            # Content until the reply ends: thousands of live objects in a long reply.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        reply = Reply()
        outcome = ReplyOutcome(dropped_turns=first)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        history = self._history
        open_direct = slot("gemini_stream")  # tuning: the history is sent without being validated again

        async def start() -> AsyncIterator[Any]:
            if open_direct is not None:
                stream = await open_direct(client, model=config.model, history=history.wire(first), new=new, config=generation)
                if stream is not None:
                    return stream
            return await client.aio.models.generate_content_stream(model=config.model, contents=[*history.built(first), new], config=generation)

        stream_task = asyncio.create_task(pump(start, queue), name="gemini-stream")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + config.reply_deadline
        failure: Exception | None = None
        try:
            while True:
                # Everything already queued goes out as one piece: the UI then does one
                # update per turn of the loop, however fast the chunks arrive.
                batch = await next_batch(queue, config.timeout, deadline, (config.timeout, config.reply_deadline))
                last = batch.pop() if is_last(batch[-1]) else None
                piece = "".join(reply.observe(said) for said in batch)
                if last is not None:
                    piece += reply.flush()
                del batch
                if piece:
                    yield piece
                if last is END:
                    break
                if isinstance(last, Exception):
                    failure = last
                    break
        except GeminiError as deadline:  # what came stays, as for a cancel
            self._conclude(text, reply, outcome)
            stream_task.cancel()
            await asyncio.wait([stream_task])
            if deadline.key == "gemini.stalled" and not reply.chunks:
                raise GeminiError("gemini.timeout", seconds=f"{config.timeout:g}") from None
            raise
        except (asyncio.CancelledError, GeneratorExit):
            outcome.cancelled = True
            self._conclude(text, reply, outcome)
            stream_task.cancel()
            await asyncio.wait([stream_task])
            raise
        await asyncio.wait([stream_task])  # already finishing: it queued END or the error
        if failure is not None:
            # Raised outside the except block, so the SDK exception (which holds the
            # open response) is neither chained to the GeminiError nor kept alive.
            log_failure("Gemini stream failed", failure, config.api_key)
            self._conclude(None, reply, outcome)
            error = map_error(failure, config, mid_stream=reply.chunks > 0)
            await close_response(failure)
            del failure, last
            raise error
        self._conclude(text, reply, outcome)
        refusal = reply.refusal()
        if refusal is not None:
            raise refusal

    def _conclude(self, text: str | None, reply: Reply, outcome: ReplyOutcome) -> None:
        """Set ``last_outcome``; record the exchange when ``text`` is given and a reply came."""
        reply.conclude(outcome)
        self.last_outcome = outcome
        if text is not None and reply.text:
            self._history.add_exchange(text, reply.text)

    async def _request(self, call: Any) -> Any:
        """Await ``call`` (SDK requests) within the configured timeout; failures become GeminiError."""
        failure: Exception | None = None
        try:
            async with asyncio.timeout(self.config.timeout):
                return await call
        except Exception as exc:  # noqa: BLE001 - every failure becomes a GeminiError
            failure = exc
        # Raised outside the except block: the SDK exception is not chained to ours.
        log_failure("Gemini request failed", failure, self.config.api_key)
        error = map_error(failure, self.config)
        del failure
        raise error

    # ------------------------------------------------------------ models

    async def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Models that can chat (support generateContent), newest-looking first; cached.
        At most :data:`~g2d_tui.services.gemini.models.MAX_MODELS` are listed."""
        config = self.config
        key = model_list.cache_key(config.effective_base_url, config.api_key)
        if not refresh and (known := model_list.cached(key)) is not None:
            return known
        client = await self._client.get()

        async def fetch() -> list[ModelInfo]:
            found: list[ModelInfo] = []
            seen = 0
            pager = await client.aio.models.list(config={"page_size": model_list.PAGE_SIZE})
            async for model in pager:  # the pager fetches the following pages itself
                seen += 1
                info = model_list.model_info(model)
                if info is not None:
                    found.append(info)
                if seen >= model_list.MAX_MODELS:
                    break
                if seen % 200 == 0:
                    await asyncio.sleep(0)  # a long page is parsed in one go: let the UI run
            return found

        models = sorted(await self._request(fetch()), key=model_list.sort_key)
        model_list.remember(key, models)
        return list(models)

    # ------------------------------------------------------------ image prompts

    async def write_image_prompt(self, request: str, max_tokens: int) -> ImagePrompt:
        """Ask Gemini for an English Stable Diffusion prompt of at most ``max_tokens``.

        Tokens are estimated as characters / 4; a longer prompt or negative prompt is
        trimmed at a comma (else a word) boundary. The chat history is neither sent nor changed.
        """
        config = self.config
        client = await self._client.get()
        from google.genai import types

        max_tokens = max(1, int(max_tokens))
        generation = types.GenerateContentConfig(
            system_instruction=IMAGE_PROMPT_INSTRUCTION.format(max_tokens=max_tokens, max_words=max(1, int(max_tokens * 0.75))),
            response_mime_type="application/json",
            response_schema=IMAGE_PROMPT_SCHEMA,
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k,
            # Prompt + negative prompt + JSON syntax, with headroom for thinking models.
            max_output_tokens=2 * max_tokens + 256,
        )
        contents = [types.Content(role="user", parts=[types.Part(text=request)])]
        for _attempt in range(2):
            reply = Reply()
            response = await self._request(client.aio.models.generate_content(model=config.model, contents=contents, config=generation))
            reply.observe(Said.of(response))
            refusal = reply.refusal()
            if refusal is not None and refusal.key == "gemini.blocked":
                raise refusal
            parsed = parse_image_prompt(reply.text)
            if parsed is not None:
                return ImagePrompt(trim_prompt(parsed.prompt, max_tokens), trim_prompt(parsed.negative_prompt, max_tokens))
            log.debug("unusable image prompt JSON (finish %s): %.200r", reply.finish_reason, reply.text)
        raise GeminiError("gemini.bad_prompt_json")
