"""AsyncHistory: every call in one dedicated thread, the event loop never waits on SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from g2d_tui.conversation import Turn
from g2d_tui.services.history import AsyncHistory, HistoryError, HistoryStore, HistoryUnavailable, PictureFilter
from tests.unit.history_support import png, sample_picture


@pytest.fixture
async def history(tmp_path):
    opened = await AsyncHistory.open(tmp_path / "history.sqlite3")
    yield opened
    await opened.close()


async def test_every_call_runs_in_the_same_thread_that_is_not_the_loop(history):
    threads = {await history._call(threading.get_ident) for _ in range(5)}
    assert len(threads) == 1 and threading.get_ident() not in threads
    # The store itself insists on its thread: sqlite3 connections are bound to it.
    with pytest.raises(HistoryError):
        history._store.conversations()


async def test_round_trip_through_the_facade(history, tmp_path):
    conversation = await history.create_conversation("Foxes")
    turn = Turn("image", "a fox", pictures=[sample_picture()])
    turn_id = await history.add_turn(conversation.id, turn)
    assert turn_id == turn.id
    await history.add_turn(conversation.id, Turn("model", "half", state="cancelled"))
    assert await history.turn_count(conversation.id) == 2
    window = await history.turns(conversation.id, 0, 10)
    assert [t.text for t in window] == ["a fox", "half"] and len(window[0].pictures) == 1
    window[1].text, window[1].state = "whole", "complete"
    assert await history.update_turn(window[1])
    assert (await history.last_conversation()).id == conversation.id
    assert [c.id for c in await history.conversations(limit=5)] == [conversation.id]
    assert await history.conversation_count() == 1
    assert await history.rename(conversation.id, "Arctic foxes") and await history.touch(conversation.id)
    assert (await history.get_conversation(conversation.id)).title == "Arctic foxes"
    (hit,) = await history.search_conversations("whole")
    assert hit.turn_seq == 1
    (picture,) = await history.pictures(PictureFilter(text="fox"))
    assert await history.picture_count() == 1 and (await history.get_picture(picture.id)) == picture
    child = sample_picture("/p/child.png", parent_id=picture.id)
    await history.add_picture(child)
    assert [p.id for p in await history.children(picture.id)] == [child.id]
    child.path = "/p/saved.png"
    assert await history.update_picture(child)
    assert (await history.export_markdown(conversation.id, tmp_path / "out")).is_file()
    assert (await history.export_json(conversation.id, tmp_path / "out")).is_file()
    assert await history.remove_picture(child.id)
    assert await history.delete(conversation.id)
    assert await history.picture_count() == 1  # the picture outlives the conversation


async def test_import_reads_files_off_the_store_thread(history, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(png(8, 8, {"parameters": "a fox\nSteps: 3, Seed: 4, Size: 8x8"}))
    (folder / "b.png").write_bytes(b"broken")
    result = await history.import_folder(folder)
    assert (result.added, result.unreadable) == (1, 1)
    assert (await history.pictures())[0].prompt == "a fox"


async def test_the_loop_keeps_running_while_the_store_waits_for_a_lock(tmp_path):
    path = tmp_path / "history.sqlite3"
    history = await AsyncHistory.open(path, busy_timeout=1.0)
    conversation = await history.create_conversation()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticked = asyncio.Event()

    async def ticker():
        await asyncio.sleep(0)
        ticked.set()

    try:
        write = asyncio.ensure_future(history.add_turn(conversation.id, Turn("user", "waits for the lock")))
        asyncio.ensure_future(ticker())
        await asyncio.wait_for(ticked.wait(), timeout=30)
        assert not write.done()  # the loop ran while the write was still waiting
        with pytest.raises(HistoryError) as caught:
            await write
        assert caught.value.key == "history.error.locked"
    finally:
        other.execute("ROLLBACK")
        other.close()
        await history.close()


async def test_a_cancelled_await_still_finishes_the_write(tmp_path):
    path = tmp_path / "history.sqlite3"
    history = await AsyncHistory.open(path, busy_timeout=30)
    conversation = await history.create_conversation()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write until we let go
    write = asyncio.ensure_future(history.add_turn(conversation.id, Turn("user", "finished turn")))
    await asyncio.sleep(0)
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write
    other.execute("ROLLBACK")
    other.close()
    assert await history.turn_count(conversation.id) == 1  # queued behind the write: it committed
    await history.close()


async def test_open_failure_is_history_unavailable(tmp_path):
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(HistoryUnavailable):
        await AsyncHistory.open(tmp_path / "dir.sqlite3")


async def test_calls_after_close_are_history_errors(tmp_path):
    history = await AsyncHistory.open(tmp_path / "history.sqlite3")
    assert history.path == tmp_path / "history.sqlite3" and history.damaged_copy is None
    await history.close()
    with pytest.raises(HistoryError) as caught:
        await history.conversations()
    assert caught.value.key == "history.error.closed"


def test_sync_store_refuses_use_from_another_thread(tmp_path):
    store = HistoryStore.open(tmp_path / "history.sqlite3")
    errors = []
    worker = threading.Thread(target=lambda: errors.append(_try(store.conversations)))
    worker.start()
    worker.join()
    store.close()
    assert isinstance(errors[0], HistoryError)


def _try(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the test inspects it
        return error
    return None
