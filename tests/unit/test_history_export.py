"""Export: Markdown with relative picture links that resolve, JSON that reads back the same."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from g2d_tui.conversation import Turn
from g2d_tui.services.history import HistoryError, HistoryStore
from g2d_tui.services.history.export import conversation_from_json
from tests.unit.history_support import at, conversation_fields, sample_picture, turn_fields

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
LINK = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


@pytest.fixture
def filled(tmp_path):
    """A store with one conversation of every kind of turn; pictures in a folder with a space."""
    pictures = tmp_path / "My Pictures"
    pictures.mkdir()
    store = HistoryStore.open(tmp_path / "history.sqlite3")
    conversation = store.create_conversation("Foxes & *snow*", "gemini-2.5-flash", created=at(0))
    store.add_turn(conversation.id, Turn("user", "Tell me about **foxes**", created=at(1)))
    store.add_turn(conversation.id, Turn("model", "## Foxes\n\nThey hunt voles.", model="gemini-2.5-flash",
                                         created=at(2), tokens_in=4, tokens_out=8))
    store.add_turn(conversation.id, Turn("model", "Half a rep", state="cancelled", detail="stopped", created=at(3)))
    first = pictures / "fox one.png"
    first.write_bytes(b"png")
    second = tmp_path / "elsewhere" / "fox#2.png"
    second.parent.mkdir()
    second.write_bytes(b"png")
    store.add_turn(conversation.id, Turn("image", "a red fox [in] the snow", created=at(4), pictures=[
        sample_picture(str(first), created=at(4)),
        sample_picture(str(second), seed=2**64 - 1, negative_prompt="", created=at(4)),
    ]))
    yield store, conversation
    store.close()


def test_markdown_has_sections_and_relative_links_that_resolve(filled, tmp_path):
    store, conversation = filled
    out = tmp_path / "exports" / "deep"
    path = store.export_markdown(conversation.id, out)
    assert path.parent == out and path.suffix == ".md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Foxes & \\*snow\\*\n")
    assert text.count("\n## ") == 4
    assert "## You · " in text and "## Gemini (gemini-2.5-flash) · " in text and "## Image · " in text
    assert "*Cancelled: stopped*" in text
    assert "#### Foxes\n\nThey hunt voles." in text  # replies stay Markdown, headings under the turn's
    assert "a red fox \\[in\\] the snow" in text  # requests are plain text
    links = LINK.findall(text)
    assert len(links) == 2
    for link in links:
        assert not link.startswith("/") and " " not in link  # relative, encoded
        assert (path.parent / unquote(link)).resolve().is_file()
    assert unquote(links[0]) == "../../My Pictures/fox one.png"
    assert "Seed 1234 · Steps 30 · CFG 7.5 · 1024×768 · stabilityai/sdxl" in text
    assert "Seed 18446744073709551615" in text
    assert "**Negative prompt:** blurry, lowres" in text


def test_markdown_is_translated(filled, tmp_path):
    from g2d_tui import i18n

    store, conversation = filled
    i18n.set_language("pt-BR")
    text = store.export_markdown(conversation.id, tmp_path / "out").read_text(encoding="utf-8")
    assert "## Você · " in text and "Semente 1234" in text


def test_json_round_trip(filled, tmp_path):
    store, conversation = filled
    path = store.export_json(conversation.id, tmp_path / "out")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "g2d-tui.conversation"
    assert data["conversation"]["created"] == at(0).isoformat() or data["conversation"]["created"].startswith("2025-03-04T")
    again, turns = conversation_from_json(data)
    original = store.get_conversation(conversation.id)
    stored = store.turns(conversation.id, 0, 100)
    assert conversation_fields(again) == conversation_fields(original)
    assert [turn_fields(turn) for turn in turns] == [turn_fields(turn) for turn in stored]
    assert turns[3].pictures == stored[3].pictures
    assert turns[3].pictures[1].seed == 2**64 - 1


def test_json_reader_refuses_other_files():
    with pytest.raises(ValueError):
        conversation_from_json({"format": "something else"})
    with pytest.raises(ValueError):
        conversation_from_json({"format": "g2d-tui.conversation", "conversation": {"bogus": 1}, "turns": []})


def test_export_replaces_atomically_and_leaves_no_temporary_files(filled, tmp_path):
    store, conversation = filled
    out = tmp_path / "out"
    first = store.export_json(conversation.id, out)
    store.rename(conversation.id, "Foxes & *snow*")  # same name, new content
    store.add_turn(conversation.id, Turn("user", "one more"))
    second = store.export_json(conversation.id, out)
    assert first == second
    assert "one more" in second.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [second.name]


def test_export_of_a_missing_conversation(filled, tmp_path):
    store, _ = filled
    with pytest.raises(HistoryError) as caught:
        store.export_markdown(999, tmp_path)
    assert caught.value.key == "history.error.missing"


def test_export_into_an_unwritable_folder(filled, tmp_path):
    store, conversation = filled
    if IS_ROOT:
        if not Path("/sys/kernel").is_dir():
            pytest.skip("no /sys to stand in for a read-only folder")
        folder = Path("/sys/kernel")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    try:
        with pytest.raises(HistoryError) as caught:
            store.export_markdown(conversation.id, folder)
    finally:
        if not IS_ROOT:
            folder.chmod(0o700)
    assert caught.value.key == "history.export.unwritable"
    assert caught.value.params["path"] == str(folder)
