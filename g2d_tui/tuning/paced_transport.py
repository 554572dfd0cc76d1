"""An httpx transport whose response bodies give the event loop a turn every few KB.

When a reply arrives faster than it is parsed (a burst after a network stall, or a
fast local server), the socket buffer already holds the next bytes, so no read ever
waits: the Gemini SDK would parse and hand out every buffered event without letting
the event loop run, freezing the UI for seconds. Cutting the body into small pieces
with a ``sleep(0)`` between them bounds that to one piece's worth of parsing. The
pause sits at the innermost read, where a cancel (escape) unwinds the SDK's nested
generators cleanly, as it does at a real socket wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

PIECE_BYTES = 2048
"""About four SSE events of a Gemini reply."""


class _PacedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            for start in range(0, len(chunk), PIECE_BYTES):
                if start:
                    await asyncio.sleep(0)
                yield chunk[start : start + PIECE_BYTES]

    async def aclose(self) -> None:
        await self._inner.aclose()


class PacedTransport(httpx.AsyncBaseTransport):
    """Wraps ``httpx.AsyncHTTPTransport`` (built from ``transport_args``)."""

    def __init__(self, **transport_args) -> None:
        self._inner = httpx.AsyncHTTPTransport(**transport_args)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=_PacedStream(response.stream),
            extensions=response.extensions, request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

