"""Schema migrations: every older version opens, keeps its data and gains search; never downgrades."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from g2d_tui.services.history import SCHEMA_VERSION, HistoryStore, HistoryUnavailable, PictureFilter
from g2d_tui.services.history.records import from_db_time
from g2d_tui.services.history.schema import MIGRATIONS, migrate, version
from tests.unit.history_support import OLD_DATA, create_version

# SHA-256 of each released migration step. A released step must never change (stores in the
# wild are at that version already); a schema change is a new step. Add its hash on release.
RELEASED_STEPS = {
    1: "dc17a5c3c4f260a20b41b33ec3e2d746f03c99438e8f0021a70c4a32d45f1509",
    2: "f604c22df149a82f3cd79088f556b3877067eda07cadc35539c6ead347d9d31d",
    3: "8072f605f434bb91ec30b0b5253380d6a6b2fba2121b9456f3eff7fb6e9bacfb",
}


def _digest(step: str) -> str:
    return hashlib.sha256(step.encode()).hexdigest()


def test_released_steps_are_frozen():
    assert len(MIGRATIONS) >= 2, "the mechanism needs at least two versions"
    for number, expected in RELEASED_STEPS.items():
        assert _digest(MIGRATIONS[number - 1]) == expected, f"migration step {number} was edited"


@pytest.mark.parametrize("old_version", range(0, SCHEMA_VERSION + 1))
def test_every_older_version_is_brought_up_to_date_with_its_data(tmp_path, old_version):
    path = tmp_path / "history.sqlite3"
    if old_version:
        create_version(path, old_version)
    store = HistoryStore.open(path)
    try:
        assert version(store._db) == SCHEMA_VERSION
        if not old_version:
            assert store.conversation_count() == 0
            return
        (conversation,) = store.conversations()
        cid, title, model, created, updated = OLD_DATA["conversation"]
        assert (conversation.id, conversation.title, conversation.model) == (cid, title, model)
        assert (conversation.created, conversation.updated) == (from_db_time(created), from_db_time(updated))
        assert (conversation.turn_count, conversation.picture_count) == (3, 1)
        turns = store.turns(cid)
        assert [(turn.id, turn.seq, turn.role, turn.text) for turn in turns] == [row[:1] + row[2:5] for row in OLD_DATA["turns"]]
        assert turns[1].tokens_out == 40 and turns[1].model == "gemini-2.5-flash"
        (picture,) = turns[2].pictures
        assert picture.seed == 2**64 - 1 and picture.prompt == "photo of a red fox, snow"
        # Search works on rows written before the search tables existed.
        hits = store.search_conversations("brumation")
        assert [(hit.conversation.id, hit.turn_seq) for hit in hits] == [(cid, 1)]
        assert store.search_conversations("winter")[0].turn_id is None  # a title match
        assert [p.id for p in store.pictures(PictureFilter(text="snow"))] == [1]
        # ...and keeps working for new rows (the triggers are there).
        store.rename(cid, "Arctic foxes")
        assert store.search_conversations("arctic")[0].turn_id is None
        assert store.search_conversations("winter")[0].turn_id == 2  # no longer the title: the reply
    finally:
        store.close()


def test_full_text_indexes_are_consistent_after_migration_and_use(tmp_path):
    path = tmp_path / "history.sqlite3"
    create_version(path, 1)
    store = HistoryStore.open(path)
    store.delete(1)
    store.close()
    db = sqlite3.connect(path)
    for table in ("conversations_fts", "turns_fts", "pictures_fts"):
        db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")  # raises if out of sync
    assert db.execute("SELECT count(*) FROM turns_fts WHERE turns_fts MATCH 'foxes'").fetchone()[0] == 0
    db.close()


def test_a_failed_migration_changes_nothing(tmp_path, monkeypatch):
    from g2d_tui.services.history import schema

    path = tmp_path / "history.sqlite3"
    create_version(path, 1)
    broken = (*MIGRATIONS[:1], MIGRATIONS[1] + "\nCREATE TABLE conversations (x);")  # fails at its end
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, target=2)
    assert version(db) == 1
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'turns_fts'").fetchone()[0] == 0
    assert not db.in_transaction
    db.close()


def test_a_store_from_a_newer_version_is_left_alone(tmp_path):
    path = tmp_path / "history.sqlite3"
    create_version(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryUnavailable) as caught:
        HistoryStore.open(path)
    assert caught.value.key == "history.unavailable.too_new"
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.damaged-*"))
