"""Full-text search: finds what the user remembers, never fails on what the user types."""

from __future__ import annotations

import pytest

from g2d_tui.conversation import Turn
from g2d_tui.services.history import HistoryStore, PictureFilter
from g2d_tui.services.history.search import fts_query
from g2d_tui.services.history.snippets import excerpt, terms
from tests.unit.history_support import at, sample_picture

HOSTILE = [
    '"', '""', "'", '"unbalanced', "fox\"", "AND", "OR", "NOT", "fox AND", "AND fox", "fox OR OR",
    "*", "fox*", "**", "^fox", "NEAR(", "NEAR(fox snow", "NEAR(fox, 2)", "(", ")", "((fox)", "fox)",
    "{text}: fox", "text:fox", "-fox", "+", "fox -snow", ":", "🦊", "🦊 fox 🌨️", "\x00", "\x1b[31m",
    "a" * 5000, "fox " * 500, "é", "ß", "中文", "\u202e", "\\", "%", "_", "fox\nsnow", "\t", "   ",
    "col:fox NEAR/2 snow", "\"fox\" AND \"snow\"", "fox\"*\"",
]


@pytest.fixture
def store(tmp_path):
    opened = HistoryStore.open(tmp_path / "history.sqlite3")
    foxes = opened.create_conversation("Arctic animals", created=at(0))
    opened.add_turn(foxes.id, Turn("user", "What do foxes eat in winter?", created=at(1)))
    opened.add_turn(foxes.id, Turn("model", "In winter a red fox hunts voles under the snow, listening for them.", created=at(2)))
    boats = opened.create_conversation("Sailing", created=at(10))
    opened.add_turn(boats.id, Turn("user", "How do I tie a bowline?", created=at(11)))
    opened.add_turn(boats.id, Turn("model", "Make a small loop, pass the end up through it: the rabbit leaves the hole.", created=at(12)))
    cafe = opened.create_conversation("Café in São Paulo", created=at(20))
    opened.add_turn(cafe.id, Turn("user", "Onde tomar um café coado?", created=at(21)))
    opened.add_picture(sample_picture())
    yield opened
    opened.close()


def titles(hits):
    return [hit.conversation.title for hit in hits]


def test_a_word_from_the_second_turn_finds_the_conversation(store):
    (hit,) = store.search_conversations("voles")
    assert hit.conversation.title == "Arctic animals"
    assert hit.turn_seq == 1 and hit.turn_id is not None
    assert "voles" in hit.snippet
    (start, end), = hit.highlights
    assert hit.snippet[start:end] == "voles"
    assert hit.conversation.turn_count == 2


def test_every_word_must_match_and_the_last_is_a_prefix(store):
    assert titles(store.search_conversations("rabbit hole")) == ["Sailing"]
    assert titles(store.search_conversations("rabbit fox")) == []
    assert titles(store.search_conversations("bowl")) == ["Sailing"]  # prefix of bowline
    assert titles(store.search_conversations("bowl knot")) == []  # only the last word is a prefix
    assert titles(store.search_conversations("vo")) == []  # too short to be a prefix: a whole word
    assert titles(store.search_conversations("VOLES")) == ["Arctic animals"]  # case-insensitive


def test_title_matches_come_first(store):
    sailing_fox = store.create_conversation("Fox island sailing trip", created=at(30))
    store.add_turn(sailing_fox.id, Turn("user", "plan the route", created=at(31)))
    hits = store.search_conversations("fox")
    assert titles(hits) == ["Fox island sailing trip", "Arctic animals"]
    assert hits[0].turn_id is None and hits[0].snippet == "Fox island sailing trip"
    assert hits[0].highlights == ((0, 3),)


def test_newest_mention_comes_first_among_turn_matches(store):
    later = store.create_conversation("Later", created=at(40))
    store.add_turn(later.id, Turn("user", "snow again today", created=at(41)))
    assert titles(store.search_conversations("snow")) == ["Later", "Arctic animals"]


def test_accents_are_optional(store):
    assert titles(store.search_conversations("cafe")) == ["Café in São Paulo"]
    assert titles(store.search_conversations("sao paulo")) == ["Café in São Paulo"]
    assert titles(store.search_conversations("CAFÉ coado")) == ["Café in São Paulo"]


def test_limit_and_empty_queries(store):
    assert store.search_conversations("the", limit=0) == []
    assert store.search_conversations("") == [] and store.search_conversations("   ") == []
    for index in range(5):
        conversation = store.create_conversation(f"Knots {index}")
        store.add_turn(conversation.id, Turn("user", "knots knots"))
    assert len(store.search_conversations("knots", limit=3)) == 3


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(store, query):
    hits = store.search_conversations(query)
    assert isinstance(hits, list)
    assert isinstance(store.pictures(PictureFilter(text=query)), list)
    assert store.picture_count(PictureFilter(text=query)) >= 0


def test_fts_syntax_words_are_searched_as_words(store):
    conversation = store.create_conversation("Logic")
    store.add_turn(conversation.id, Turn("user", "cats AND dogs, NEAR the door"))
    assert titles(store.search_conversations("AND")) == ["Logic"]
    assert titles(store.search_conversations("NEAR(")) == ["Logic"]
    assert titles(store.search_conversations('"dogs')) == ["Logic"]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("fox", '"fox"*'),
        ("red fox", '"red" "fox"*'),
        ('say "hello"', '"say" """hello"""*'),
        ("fo", '"fo"'),
        ("🦊 ( ) *", ""),
        ("AND", '"AND"*'),
        ("", ""),
    ],
)
def test_fts_query(text, query):
    assert fts_query(text) == query


def test_excerpt_is_one_clean_line_around_the_first_match_with_spans():
    text = "intro words here\nthat lead up to the\tFox and then \x1b[2J more words after it, many of them, very many"
    snippet, spans = excerpt(text, terms("fox"), words=10)
    assert snippet == "…lead up to the Fox and then ␛[2J more words…"
    assert [snippet[a:b] for a, b in spans] == ["Fox"]


def test_excerpt_is_anchored_on_the_longest_word():
    snippet, spans = excerpt("the cat sat on the mat near the rare ocelot today", terms("the ocelot"), words=6)
    assert snippet == "…mat near the rare ocelot today"
    assert [snippet[a:b] for a, b in spans] == ["the", "ocelot"]


def test_excerpt_matches_like_the_index():
    snippet, spans = excerpt("Um café coado em São Paulo", terms("CAFE sao"))
    assert [snippet[a:b] for a, b in spans] == ["café", "São"]
    snippet, spans = excerpt("bowline knots", terms("bowl"))
    assert [snippet[a:b] for a, b in spans] == ["bowline"]
    snippet, spans = excerpt("bo bowline", terms("bo"))  # too short for a prefix
    assert [snippet[a:b] for a, b in spans] == ["bo"]


def test_excerpt_of_text_without_a_visible_match_is_its_start():
    assert excerpt("alpha beta", terms("zeta")) == ("alpha beta", ())
    assert excerpt("", terms("zeta")) == ("", ())


def test_picture_search_sees_new_and_updated_rows(store):
    picture = sample_picture(prompt="a lighthouse at dusk")
    store.add_picture(picture)
    assert store.picture_count(PictureFilter(text="lighthouse")) == 1
    picture.prompt = "a windmill at dawn"
    store.update_picture(picture)
    assert store.picture_count(PictureFilter(text="lighthouse")) == 0
    assert store.picture_count(PictureFilter(text="windmill")) == 1
    store.remove_picture(picture.id)
    assert store.picture_count(PictureFilter(text="windmill")) == 0


def test_deleted_conversations_are_not_found(store):
    (hit,) = store.search_conversations("bowline")
    store.delete(hit.conversation.id)
    assert store.search_conversations("bowline") == []
    assert store.search_conversations("sailing") == []
