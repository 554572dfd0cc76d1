"""HistoryStore round trips: conversations, turns, pictures, paging, counts, deletes, titles."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from g2d_tui.conversation import Picture, Turn
from g2d_tui.paths import history_path
from g2d_tui.services.history import HistoryError, HistoryStore, PictureFilter, title_from_request
from tests.unit.history_support import at, conversation_fields, sample_picture, turn_fields


@pytest.fixture
def store(tmp_path):
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    yield opened
    opened.close()


def test_file_lives_in_the_data_folder_and_env_or_argument_override_it(tmp_path, monkeypatch, isolated_home):
    monkeypatch.delenv("G2D_TUI_DATA", raising=False)
    assert history_path() == isolated_home / ".local" / "share" / "g2d-tui" / "history.sqlite3"
    monkeypatch.setenv("G2D_TUI_DATA", str(tmp_path / "data"))
    assert history_path() == tmp_path / "data" / "history.sqlite3"
    assert history_path(tmp_path / "x.db") == tmp_path / "x.db"
    store = HistoryStore.open()
    try:
        assert store.path == tmp_path / "data" / "history.sqlite3" and store.path.is_file()
    finally:
        store.close()


def test_store_uses_wal_and_foreign_keys(store):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_conversation_round_trip(store):
    created = store.create_conversation("Foxes", "gemini-2.5-flash", created=at(0))
    assert created.id is not None
    again = store.get_conversation(created.id)
    assert conversation_fields(again) == conversation_fields(created)
    assert again.created.utcoffset() is not None  # aware
    assert (again.turn_count, again.picture_count) == (0, 0)
    assert store.get_conversation(9999) is None


def test_rename_touch_and_delete_report_whether_the_conversation_existed(store):
    conversation = store.create_conversation("Old", created=at(0))
    assert store.rename(conversation.id, "New title") is True
    assert store.touch(conversation.id, at(60)) is True
    again = store.get_conversation(conversation.id)
    assert again.title == "New title" and again.updated == at(60)
    assert store.rename(999, "x") is False and store.touch(999) is False
    assert store.delete(conversation.id) is True
    assert store.get_conversation(conversation.id) is None
    assert store.delete(conversation.id) is False


def test_add_turn_assigns_ids_and_positions_and_moves_updated(store):
    conversation = store.create_conversation(created=at(0))
    turns = [
        Turn("user", "Tell me about foxes", created=at(1)),
        Turn("model", "They are **clever**.", model="gemini-2.5-pro", created=at(2), tokens_in=5, tokens_out=9),
        Turn("model", "Partial", state="cancelled", created=at(3), detail="stopped by you"),
        Turn("model", "Cut", state="truncated", created=at(4), detail="MAX_TOKENS"),
        Turn("model", "", state="failed", created=at(5), detail="Gemini is overloaded"),
    ]
    ids = [store.add_turn(conversation.id, turn) for turn in turns]
    assert ids == [turn.id for turn in turns] and len(set(ids)) == 5
    assert [turn.seq for turn in turns] == [0, 1, 2, 3, 4]
    loaded = store.turns(conversation.id, 0, 10)
    assert [turn_fields(turn) for turn in loaded] == [turn_fields(turn) for turn in turns]
    assert all(turn.conversation_id == conversation.id for turn in loaded)
    header = store.get_conversation(conversation.id)
    assert header.updated == at(5) and header.turn_count == 5
    assert header.title == "Tell me about foxes"  # from the first request


def test_first_request_titles_only_an_untitled_conversation(store):
    titled = store.create_conversation("Mine")
    store.add_turn(titled.id, Turn("user", "something else"))
    assert store.get_conversation(titled.id).title == "Mine"
    untitled = store.create_conversation()
    store.add_turn(untitled.id, Turn("model", "a reply first"))  # replies do not name it
    store.add_turn(untitled.id, Turn("image", "/imagine a lighthouse at dusk"))
    assert store.get_conversation(untitled.id).title == "a lighthouse at dusk"


def test_notes_and_streaming_turns_are_refused(store):
    conversation = store.create_conversation()
    with pytest.raises(ValueError):
        store.add_turn(conversation.id, Turn("note", "Welcome"))
    with pytest.raises(ValueError):
        store.add_turn(conversation.id, Turn("model", "half", state="streaming"))
    assert store.turn_count(conversation.id) == 0


def test_add_turn_to_a_missing_conversation_is_a_history_error(store):
    with pytest.raises(HistoryError) as caught:
        store.add_turn(424242, Turn("user", "hello"))
    assert caught.value.key == "history.error.missing"


def test_update_turn_rewrites_the_finished_reply(store):
    conversation = store.create_conversation()
    turn = Turn("model", "partial answer", state="cancelled", created=at(1))
    store.add_turn(conversation.id, turn)
    turn.text, turn.state, turn.tokens_out, turn.detail = "full answer", "complete", 77, ""
    assert store.update_turn(turn) is True
    (loaded,) = store.turns(conversation.id)
    assert (loaded.text, loaded.state, loaded.tokens_out) == ("full answer", "complete", 77)
    assert store.update_turn(Turn("model", "never stored")) is False


def test_turn_windows(store):
    conversation = store.create_conversation()
    for index in range(30):
        store.add_turn(conversation.id, Turn("user" if index % 2 == 0 else "model", f"turn {index}", created=at(index)))
    assert store.turn_count(conversation.id) == 30
    assert [turn.text for turn in store.turns(conversation.id, 10, 3)] == ["turn 10", "turn 11", "turn 12"]
    assert [turn.seq for turn in store.turns(conversation.id, -2, 5)] == [28, 29]  # from the end
    assert store.turns(conversation.id, 30, 5) == []
    assert len(store.turns(conversation.id, 25, 100)) == 5


def test_image_turn_keeps_its_pictures(store):
    conversation = store.create_conversation()
    first, second = sample_picture("/p/a.png", created=at(1)), sample_picture("/p/b.png", seed=99, created=at(2))
    turn = Turn("image", "a red fox", pictures=[first, second], created=at(2))
    store.add_turn(conversation.id, turn)
    assert first.id and second.id and first.turn_id == turn.id and first.conversation_id == conversation.id
    (loaded,) = store.turns(conversation.id)
    assert [picture.path for picture in loaded.pictures] == ["/p/a.png", "/p/b.png"]
    assert loaded.pictures[1] == second
    assert store.get_conversation(conversation.id).picture_count == 2


def test_a_picture_saved_before_its_turn_ended_joins_the_turn(store, tmp_path):
    conversation = store.create_conversation()
    early = sample_picture(tmp_path / "early.png")  # a Path is stored as text
    store.add_picture(early)
    late = sample_picture("/p/late.png")
    turn = Turn("image", "two variations", pictures=[early, late])
    store.add_turn(conversation.id, turn)
    assert store.picture_count() == 2  # the early one was not added twice
    (loaded,) = store.turns(conversation.id)
    assert [picture.id for picture in loaded.pictures] == [early.id, late.id]
    assert all(picture.turn_id == turn.id and picture.conversation_id == conversation.id for picture in loaded.pictures)
    assert loaded.pictures[0].path == str(tmp_path / "early.png")


def test_picture_round_trip_with_every_field(store):
    conversation = store.create_conversation()
    parent = sample_picture(conversation_id=conversation.id)
    store.add_picture(parent)
    child = sample_picture("/pictures/fox-2.png", parent_id=parent.id, seed=2**64 - 1, guidance_scale=None, steps=None, created=at(5))
    assert store.add_picture(child) == child.id
    assert store.get_picture(parent.id) == parent
    assert store.get_picture(child.id) == child  # a seed beyond 64-bit integers survives
    assert store.get_picture(99999) is None


def test_update_picture_after_save(store):
    picture = sample_picture(path="", sha256="", file_size=0)
    store.add_picture(picture)
    picture.path, picture.sha256, picture.file_size = "/saved/fox.png", "ef" * 32, 4242
    assert store.update_picture(picture) is True
    assert store.get_picture(picture.id) == picture
    assert store.update_picture(sample_picture()) is False  # no id


def test_gallery_pages_newest_first_without_gaps_or_repeats(store):
    pictures = [sample_picture(f"/p/{index:02d}.png", created=at(index % 7)) for index in range(25)]  # equal times too
    for picture in pictures:
        store.add_picture(picture)
    expected = sorted(pictures, key=lambda picture: (picture.created, picture.id), reverse=True)
    seen, before = [], None
    while page := store.pictures(before=before, limit=10):
        seen += page
        before = page[-1]
    assert [picture.id for picture in seen] == [picture.id for picture in expected]
    assert store.picture_count() == 25


def test_gallery_filters(store):
    conversation = store.create_conversation()
    fox = sample_picture("/p/fox.png", conversation_id=conversation.id)
    store.add_picture(fox)
    lighthouse = sample_picture("/p/lh.png", prompt="a lighthouse at dusk", negative_prompt="", request="lighthouse", model="flux-dev")
    store.add_picture(lighthouse)
    variation = sample_picture("/p/lh2.png", prompt="a lighthouse in a storm", parent_id=lighthouse.id, model="flux-dev")
    store.add_picture(variation)
    assert {picture.id for picture in store.pictures(PictureFilter(text="lighthouse"))} == {lighthouse.id, variation.id}
    assert [picture.id for picture in store.pictures(PictureFilter(text="blurry"))] == [variation.id, fox.id]  # negative prompt
    assert store.picture_count(PictureFilter(text="flux")) == 2  # model, as a prefix
    assert [picture.id for picture in store.pictures(PictureFilter(conversation_id=conversation.id))] == [fox.id]
    assert [picture.id for picture in store.pictures(PictureFilter(parent_id=lighthouse.id))] == [variation.id]
    assert store.picture_count(PictureFilter(text="storm", parent_id=lighthouse.id)) == 1
    assert store.pictures(PictureFilter(text="🦊")) == [] and store.picture_count(PictureFilter(text='"(')) == 0
    assert [picture.id for picture in store.children(lighthouse.id)] == [variation.id]


def test_gallery_filter_with_many_matches_pages_the_same_way(store):
    """Over WALK_INDEX_OVER matches the query walks the date index instead: same order."""
    from g2d_tui.services.history import gallery

    count = gallery.WALK_INDEX_OVER + 20
    store.add_pictures([sample_picture(f"/p/{index}.png", created=at(count - index)) for index in range(count)])
    page = store.pictures(PictureFilter(text="fox"), limit=5)
    assert [picture.path for picture in page] == [f"/p/{index}.png" for index in range(5)]
    following = store.pictures(PictureFilter(text="fox"), before=page[-1], limit=2)
    assert [picture.path for picture in following] == ["/p/5.png", "/p/6.png"]
    assert store.picture_count(PictureFilter(text="fox")) == count


def test_deleting_a_conversation_deletes_its_turns_and_keeps_its_pictures(store):
    conversation = store.create_conversation()
    picture = sample_picture()
    turn = Turn("image", "a fox", pictures=[picture])
    store.add_turn(conversation.id, turn)
    store.add_turn(conversation.id, Turn("user", "more"))
    assert store.delete(conversation.id)
    assert store.turn_count(conversation.id) == 0
    kept = store.get_picture(picture.id)
    assert kept is not None and kept.conversation_id is None and kept.turn_id is None
    assert store.picture_count() == 1


def test_deleting_a_parent_picture_unlinks_its_children(store):
    parent, child = sample_picture("/p/a.png"), sample_picture("/p/b.png")
    store.add_picture(parent)
    child.parent_id = parent.id
    store.add_picture(child)
    assert store.remove_picture(parent.id) is True
    assert store.get_picture(child.id).parent_id is None
    assert store.remove_picture(parent.id) is False


def test_remove_picture_keeps_the_file_unless_asked(store, tmp_path):
    from g2d_tui.services.history.gallery import file_sha256

    path = tmp_path / "fox.png"
    path.write_bytes(b"picture bytes")
    picture = sample_picture(str(path), sha256=file_sha256(path))
    store.add_picture(picture)
    store.remove_picture(picture.id)
    assert path.exists()
    store.add_picture(picture := sample_picture(str(path), sha256=file_sha256(path)))
    assert store.remove_picture(picture.id, delete_file=True) is True
    assert not path.exists()
    store.add_picture(gone := sample_picture(str(tmp_path / "already-gone.png")))
    assert store.remove_picture(gone.id, delete_file=True) is True  # nothing to delete is fine


def test_remove_picture_never_deletes_a_file_that_changed_or_is_shared(store, tmp_path):
    from g2d_tui.services.history.gallery import file_sha256

    path = tmp_path / "fox.png"
    path.write_bytes(b"original")
    picture = sample_picture(str(path), sha256=file_sha256(path))
    store.add_picture(picture)
    path.write_bytes(b"another picture now")
    with pytest.raises(HistoryError) as caught:
        store.remove_picture(picture.id, delete_file=True)
    assert caught.value.key == "history.error.file_changed"
    assert path.exists() and store.get_picture(picture.id) is not None  # row and file stay together

    target = tmp_path / "target.png"
    target.write_bytes(b"original")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    linked = sample_picture(str(link), sha256=file_sha256(target))
    store.add_picture(linked)
    with pytest.raises(HistoryError):
        store.remove_picture(linked.id, delete_file=True)
    assert link.is_symlink() and target.exists()

    shared_path = tmp_path / "shared.png"
    shared_path.write_bytes(b"same file")
    one, two = (sample_picture(str(shared_path), sha256=file_sha256(shared_path)) for _ in range(2))
    store.add_pictures([one, two])
    assert store.remove_picture(one.id, delete_file=True)
    assert shared_path.exists()  # the other picture still shows it
    assert store.remove_picture(two.id, delete_file=True)
    assert not shared_path.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can delete in read-only folders")
def test_remove_picture_keeps_the_row_when_the_file_cannot_be_deleted(store, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "fox.png"
    path.write_bytes(b"x")
    picture = sample_picture(str(path), sha256="")
    store.add_picture(picture)
    folder.chmod(0o500)
    try:
        with pytest.raises(HistoryError) as caught:
            store.remove_picture(picture.id, delete_file=True)
    finally:
        folder.chmod(0o700)
    assert caught.value.key == "history.error.file_not_deleted"
    assert store.get_picture(picture.id) is not None and path.exists()


def test_conversation_list_pages_newest_first_with_counts(store):
    conversations = [store.create_conversation(f"c{index}", created=at(index)) for index in range(12)]
    store.add_turn(conversations[3].id, Turn("user", "bring me back", created=at(100)))
    store.add_picture(sample_picture(conversation_id=conversations[3].id))
    first = store.conversations(limit=5)
    assert [c.title for c in first] == ["c3", "c11", "c10", "c9", "c8"]
    assert (first[0].turn_count, first[0].picture_count) == (1, 1)
    rest = store.conversations(limit=50, before=first[-1])
    assert [c.title for c in rest] == ["c7", "c6", "c5", "c4", "c2", "c1", "c0"]
    assert store.conversation_count() == 12
    assert store.last_conversation().title == "c3"


def test_last_conversation_of_an_empty_store_is_none(store):
    assert store.last_conversation() is None
    assert store.conversations() == [] and store.pictures() == []


def test_calls_after_close_raise_history_error(store):
    store.close()
    store.close()  # twice is fine
    assert store.closed
    with pytest.raises(HistoryError) as caught:
        store.conversations()
    assert caught.value.key == "history.error.closed"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("A red fox in the snow", "A red fox in the snow"),
        ("/imagine   a lighthouse\nat dusk", "a lighthouse at dusk"),
        ("  \x1b]52;c;aGk=\x07 hi ", "␛]52;c;aGk=␇ hi"),
        ("", ""),
        ("word " * 30, ("word " * 11).strip() + "…"),
        ("x" * 100, "x" * 59 + "…"),
    ],
)
def test_title_from_request(text, title):
    result = title_from_request(text)
    assert result == title
    assert len(result) <= 60 and "\n" not in result


def test_title_is_cut_at_a_word_boundary():
    title = title_from_request("Please draw a very detailed watercolour painting of an old lighthouse on a cliff at dusk")
    assert title.endswith("…") and len(title) <= 60
    assert title[:-1] in "Please draw a very detailed watercolour painting of an old lighthouse on a cliff at dusk"
    assert title == "Please draw a very detailed watercolour painting of an old…"


def test_picture_dataclass_defaults_store_cleanly(store):
    picture = Picture(path="", prompt="")
    store.add_picture(picture)
    assert store.get_picture(picture.id) == picture


def test_store_file_is_created_with_parent_folders(tmp_path):
    nested = tmp_path / "a" / "b" / "history.sqlite3"
    store = HistoryStore.open(nested)
    store.close()
    assert Path(nested).is_file()
