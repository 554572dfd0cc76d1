"""AsyncHistory: the history store for async code, every call run in one dedicated thread.

A sqlite3 connection belongs to the thread that opened it, so the store is opened, used
and closed on a single-worker executor; the event loop only awaits. Calls run in the
order they were made. A cancelled await does not cancel the call: a write that has
started completes (and commits), which is what the "a finished turn is never lost"
promise needs.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

from g2d_tui.conversation import Conversation, Picture, Turn
from g2d_tui.services.history.errors import HistoryError
from g2d_tui.services.history.records import ImportResult, PictureFilter, SearchHit
from g2d_tui.services.history.store import DEFAULT_BUSY_TIMEOUT, HistoryStore

T = TypeVar("T")


def _retrieve(job: asyncio.Future) -> None:
    """Mark the result of a job whose caller was cancelled as seen (no "never retrieved" log)."""
    if not job.cancelled():
        job.exception()


class AsyncHistory:
    """Awaitable twin of :class:`HistoryStore`; create it with :meth:`open`."""

    def __init__(self, store: HistoryStore, executor: ThreadPoolExecutor) -> None:
        self._store = store
        self._executor = executor

    @classmethod
    async def open(
        cls, path: Path | str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, check_integrity: bool | None = None,
    ) -> AsyncHistory:
        """Open the store in a new dedicated thread (see :meth:`HistoryStore.open`).

        Raises:
            HistoryUnavailable: run without history; the key says why.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="g2d-history")
        loop = asyncio.get_running_loop()
        opener = functools.partial(HistoryStore.open, path, busy_timeout=busy_timeout, check_integrity=check_integrity)
        try:
            store = await loop.run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor)

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def damaged_copy(self) -> Path | None:
        """Where a damaged store was kept at open, else None (see ``history.recovered``)."""
        return self._store.damaged_copy

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            job = loop.run_in_executor(self._executor, functools.partial(function, *args, **kwargs))
        except RuntimeError:  # the thread was shut down by close()
            raise HistoryError("history.error.closed") from None
        # Shielded: cancelling the caller must not drop a write still queued in the thread.
        job.add_done_callback(_retrieve)
        return await asyncio.shield(job)

    async def close(self) -> None:
        """Close the store in its thread, then let the thread end."""
        try:
            await self._call(self._store.close)
        finally:
            self._executor.shutdown(wait=False)

    # -- conversations ------------------------------------------------------------------

    async def create_conversation(self, title: str = "", model: str = "", created: datetime | None = None) -> Conversation:
        return await self._call(self._store.create_conversation, title, model, created)

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        return await self._call(self._store.get_conversation, conversation_id)

    async def last_conversation(self) -> Conversation | None:
        return await self._call(self._store.last_conversation)

    async def conversations(self, limit: int = 50, before: Conversation | None = None) -> list[Conversation]:
        return await self._call(self._store.conversations, limit, before)

    async def conversation_count(self) -> int:
        return await self._call(self._store.conversation_count)

    async def rename(self, conversation_id: int, title: str) -> bool:
        return await self._call(self._store.rename, conversation_id, title)

    async def touch(self, conversation_id: int, when: datetime | None = None) -> bool:
        return await self._call(self._store.touch, conversation_id, when)

    async def delete(self, conversation_id: int) -> bool:
        return await self._call(self._store.delete, conversation_id)

    async def search_conversations(self, query: str, limit: int = 50) -> list[SearchHit]:
        return await self._call(self._store.search_conversations, query, limit)

    # -- turns --------------------------------------------------------------------------

    async def add_turn(self, conversation_id: int, turn: Turn) -> int:
        return await self._call(self._store.add_turn, conversation_id, turn)

    async def update_turn(self, turn: Turn) -> bool:
        return await self._call(self._store.update_turn, turn)

    async def turns(self, conversation_id: int, start: int = 0, count: int = 50) -> list[Turn]:
        return await self._call(self._store.turns, conversation_id, start, count)

    async def turn_count(self, conversation_id: int) -> int:
        return await self._call(self._store.turn_count, conversation_id)

    # -- pictures -----------------------------------------------------------------------

    async def add_picture(self, picture: Picture) -> int:
        return await self._call(self._store.add_picture, picture)

    async def update_picture(self, picture: Picture) -> bool:
        return await self._call(self._store.update_picture, picture)

    async def get_picture(self, picture_id: int) -> Picture | None:
        return await self._call(self._store.get_picture, picture_id)

    async def pictures(self, filter: PictureFilter | None = None, before: Picture | None = None, limit: int = 60) -> list[Picture]:
        return await self._call(self._store.pictures, filter, before, limit)

    async def picture_count(self, filter: PictureFilter | None = None) -> int:
        return await self._call(self._store.picture_count, filter)

    async def children(self, picture_id: int) -> list[Picture]:
        return await self._call(self._store.children, picture_id)

    async def remove_picture(self, picture_id: int, delete_file: bool = False) -> bool:
        return await self._call(self._store.remove_picture, picture_id, delete_file)

    async def import_folder(self, folder: Path | str, depth: int = 0) -> ImportResult:
        """Like :meth:`HistoryStore.import_folder`, but the files are read in a separate
        thread, so other calls are not held up while a big folder is scanned."""
        from g2d_tui.services.history.importer import scan_folder

        paths, digests = await self._call(self._store.known_files)
        scan = await asyncio.to_thread(scan_folder, Path(folder), depth, paths, digests)
        await self._call(self._store.add_pictures, scan.pictures)
        return scan.result

    # -- export -------------------------------------------------------------------------

    async def export_markdown(self, conversation_id: int, folder: Path | str) -> Path:
        return await self._call(self._store.export_markdown, conversation_id, folder)

    async def export_json(self, conversation_id: int, folder: Path | str) -> Path:
        return await self._call(self._store.export_json, conversation_id, folder)
