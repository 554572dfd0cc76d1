"""The store never stops the app: damaged, locked, read-only, full, crashed, closed.

As root ``chmod`` does not stop writes, so "read-only" uses /sys (EACCES/EPERM/EROFS even
for root) when running as root, and a 0500 folder or 0400 file otherwise.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from g2d_tui.conversation import Turn
from g2d_tui.services.errors import ServiceError
from g2d_tui.services.history import HistoryError, HistoryStore, HistoryUnavailable
from g2d_tui.services.history.opening import CHECK_MARKER, keep_aside

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def path(tmp_path):
    return tmp_path / "history.sqlite3"


def _filled(path: Path, turns: int = 3) -> None:
    store = HistoryStore.open(path)
    conversation = store.create_conversation("Foxes")
    for index in range(turns):
        store.add_turn(conversation.id, Turn("user", f"turn number {index} " + "lorem ipsum dolor " * 40))
    store.close()


# -- damaged files ----------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_kept_aside_and_a_fresh_store_works(path):
    garbage = b"this is not a database, it is a shopping list\n" * 100
    path.write_bytes(garbage)
    stale_wal = Path(f"{path}-wal")
    stale_wal.write_bytes(b"an old write-ahead log")
    store = HistoryStore.open(path)
    try:
        kept = store.damaged_copy
        assert kept is not None and kept.parent == path.parent
        assert kept.name.startswith("history.sqlite3.damaged-")
        assert kept.read_bytes() == garbage  # kept byte for byte
        assert Path(f"{kept}-wal").read_bytes() == b"an old write-ahead log"  # paired with it, not with the new file
        conversation = store.create_conversation("fresh")
        store.add_turn(conversation.id, Turn("user", "hello again"))
        assert store.conversation_count() == 1
    finally:
        store.close()
    assert HistoryStore.open(path).damaged_copy is None  # the new store is healthy


def test_kept_copies_are_never_overwritten(path):
    moment = datetime(2025, 3, 4, 5, 6, 7)
    names = []
    for content in (b"first damaged", b"second damaged", b"third damaged"):
        path.write_bytes(content)
        names.append(keep_aside(path, moment))
    assert [name.name for name in names] == [
        "history.sqlite3.damaged-20250304-050607",
        "history.sqlite3.damaged-20250304-050607-2",
        "history.sqlite3.damaged-20250304-050607-3",
    ]
    assert [name.read_bytes() for name in names] == [b"first damaged", b"second damaged", b"third damaged"]
    assert not path.exists()


def _damage_the_turns_table(path: Path) -> None:
    """Overwrite the pages of the ``turns`` table (not the schema) with garbage."""
    db = sqlite3.connect(path)
    try:
        pages = [row[0] for row in db.execute("SELECT pageno FROM dbstat WHERE name = 'turns'")]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table to find the pages")
    finally:
        db.close()
    with open(path, "r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_damage_inside_the_file_found_in_use_is_set_aside_at_the_next_start(path):
    _filled(path, turns=40)
    _damage_the_turns_table(path)
    store = HistoryStore.open(path)  # the quick open does not read every page...
    assert store.damaged_copy is None
    with pytest.raises(HistoryError) as caught:
        store.turns(1)  # ...the damage shows when the pages are read
    assert caught.value.key == "history.error.damaged"
    assert Path(f"{path}{CHECK_MARKER}").exists()  # so the next start looks closely
    store.close()
    reopened = HistoryStore.open(path)
    try:
        assert reopened.damaged_copy is not None and reopened.damaged_copy.exists()
        assert reopened.conversation_count() == 0
        assert not Path(f"{path}{CHECK_MARKER}").exists()
    finally:
        reopened.close()


def test_a_forced_check_finds_damage_at_open(path):
    _filled(path, turns=40)
    _damage_the_turns_table(path)
    store = HistoryStore.open(path, check_integrity=True)
    try:
        assert store.damaged_copy is not None
    finally:
        store.close()


# -- locks ------------------------------------------------------------------------------


def test_a_store_locked_by_another_process_is_unavailable_after_the_busy_timeout(path):
    _filled(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryUnavailable) as caught:
            HistoryStore.open(path, busy_timeout=0.2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert caught.value.key == "history.unavailable.locked"
    assert isinstance(caught.value, ServiceError) and not isinstance(caught.value, sqlite3.Error)
    assert not list(path.parent.glob("*.damaged-*"))  # a lock is not damage


def test_a_write_while_another_process_writes_is_a_history_error_and_reads_still_work(path):
    _filled(path)
    store = HistoryStore.open(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryError) as caught:
            store.add_turn(1, Turn("user", "blocked"))
        assert caught.value.key == "history.error.locked"
        assert store.turn_count(1) == 3  # WAL: reading goes on
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add_turn(1, Turn("user", "now it goes through"))
    assert store.turn_count(1) == 4
    store.close()


# -- read-only, full --------------------------------------------------------------------


def _read_only_case(kind: str, tmp_path: Path) -> Path:
    if IS_ROOT:
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no /sys to stand in for a read-only folder")
        if kind == "existing-folder":
            return Path("/sys/kernel/history.sqlite3")
        if kind == "uncreatable-folder":
            return Path("/sys/g2d-history-not-here/history.sqlite3")
        pytest.skip("root can write to a read-only file")
    locked = tmp_path / "locked"
    locked.mkdir()
    if kind == "read-only-file":
        _filled(locked / "history.sqlite3")
        (locked / "history.sqlite3").chmod(0o400)
        return locked / "history.sqlite3"
    locked.chmod(0o500)
    return locked / "history.sqlite3" if kind == "existing-folder" else locked / "new" / "history.sqlite3"


@pytest.mark.parametrize("kind", ["existing-folder", "uncreatable-folder", "read-only-file"])
def test_read_only_places_make_the_history_unavailable(tmp_path, kind):
    path = _read_only_case(kind, tmp_path)
    try:
        with pytest.raises(HistoryUnavailable) as caught:
            HistoryStore.open(path)
    finally:
        if (tmp_path / "locked").exists():
            (tmp_path / "locked").chmod(0o700)
    assert caught.value.key == "history.unavailable.read_only"
    assert caught.value.params["path"] == str(path)
    assert not Path("/sys/g2d-history-not-here").exists()


def test_a_folder_where_the_file_should_be_is_unavailable(path):
    path.mkdir()
    with pytest.raises(HistoryUnavailable) as caught:
        HistoryStore.open(path)
    assert caught.value.key == "history.unavailable.not_a_file"


def test_a_full_disk_during_use_is_a_history_error_and_nothing_half_written(path):
    store = HistoryStore.open(path)
    conversation = store.create_conversation("full")
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: as a full disk
    try:
        with pytest.raises(HistoryError) as caught:
            store.add_turn(conversation.id, Turn("user", "x" * 200_000))
        assert caught.value.key == "history.error.disk_full"
        assert store.turn_count(conversation.id) == 0
        assert store.get_conversation(conversation.id).title == "full"
    finally:
        store.close()


# -- crashes ----------------------------------------------------------------------------

_CRASHING_CHILD = """
import os, sys
from g2d_tui.conversation import Turn
from g2d_tui.services.history import HistoryStore
store = HistoryStore.open(sys.argv[1])
conversation = store.create_conversation("before the crash")
store.add_turn(conversation.id, Turn("user", "first question"))
store.add_turn(conversation.id, Turn("model", "first answer"))
# The reply in flight: written inside a transaction that never commits.
db = store._connection
db.execute("BEGIN IMMEDIATE")
db.execute(
    "INSERT INTO turns(conversation_id, seq, role, text, created) VALUES (?, 2, 'model', 'in flight', '2025-01-01T00:00:00.000000Z')",
    (conversation.id,),
)
print("ready", flush=True)
os._exit(9)  # no close, no commit, no atexit: as a crash or a kill
"""


def test_committed_turns_survive_a_crash_and_the_reply_in_flight_is_lost_cleanly(path):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CRASHING_CHILD), str(path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 9 and result.stdout.strip() == "ready", result.stderr
    assert Path(f"{path}-wal").exists()  # the crash left the log behind, uncheckpointed
    reader = sqlite3.connect(path)  # another process's view first
    assert [row[0] for row in reader.execute("SELECT text FROM turns ORDER BY seq")] == ["first question", "first answer"]
    reader.close()
    store = HistoryStore.open(path)
    try:
        (conversation,) = store.conversations()
        assert [turn.text for turn in store.turns(conversation.id)] == ["first question", "first answer"]
        store.add_turn(conversation.id, Turn("model", "after the restart"))
        assert [turn.seq for turn in store.turns(conversation.id)] == [0, 1, 2]
    finally:
        store.close()


def test_errors_carry_catalogue_keys_that_exist_in_both_languages():
    from g2d_tui import i18n

    for language in ("en", "pt-BR"):
        messages = i18n.catalogue(language)
        for key in ("history.unavailable.locked", "history.unavailable.read_only", "history.unavailable.disk_full",
                    "history.unavailable.damaged", "history.unavailable.too_new", "history.unavailable.not_a_file",
                    "history.unavailable.failed", "history.error.locked", "history.error.disk_full",
                    "history.error.read_only", "history.error.damaged", "history.error.missing",
                    "history.error.closed", "history.error.failed", "history.recovered"):
            assert key in messages, (language, key)
    error = HistoryUnavailable("history.unavailable.read_only", path="/x/history.sqlite3")
    assert "/x/history.sqlite3" in error.message()
