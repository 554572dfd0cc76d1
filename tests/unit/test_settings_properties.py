"""Properties of the settings parser for any document TOML can hold, and save -> load."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import fields

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from g2d_tui.services import secrets
from g2d_tui.services.sanitize import clean_line
from g2d_tui.settings.model import LIMITS, SECRET_FIELDS, SECTIONS, FieldError, Settings, coerce, field_type, scalar_fields, section_of
from g2d_tui.settings.store import MAX_TEXT, NAME_FIELDS, Problem, SettingsStore, parse

PROPERTIES = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

FIELD_NAMES = [(section, name) for section in SECTIONS for name in scalar_fields(section)]
NASTY_TEXT = st.sampled_from(
    ["[/x]", "[bold red]boom", "[link=https://evil.example]x[/link]", "\x1b]52;c;aGk=\x07", "\x9b2J", "a\nb", "  x  ",
     "\ud800", "x" * (MAX_TEXT + 5), "", "gemini-2.5-flash", "ctrl+n", "f5,ctrl+s", "nan", "inf", "1e999", "-0", "true"]
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(),  # beyond 64 bits: tomllib reads them too
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    NASTY_TEXT,
    st.datetimes(max_value=dt.datetime(9999, 1, 1)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | NASTY_TEXT, inner, max_size=4),
    max_leaves=12,
)
known_keys = st.sampled_from([name for _, name in FIELD_NAMES] + ["send", "quit", "new_chat", "no_such_id", "[/x]", "\x1b"])
section_tables = st.dictionaries(known_keys | st.text(max_size=8), toml_values, max_size=8)


def _as_read_from_a_file(document: dict) -> dict | None:
    """``document`` as a settings file would give it back (UTF-8 TOML), or None if no file can hold it."""
    try:
        return tomllib.loads(tomli_w.dumps(document).encode("utf-8").decode("utf-8"))
    except (UnicodeEncodeError, ValueError, TypeError):
        return None


documents = (
    st.dictionaries(
        st.sampled_from([*SECTIONS, "keymap", "extra", "\x1b[2J"]) | st.text(max_size=8),
        section_tables | toml_values,
        max_size=5,
    )
    .map(_as_read_from_a_file)
    .filter(lambda document: document is not None)
)


@pytest.fixture(autouse=True)
def forget_generated_keys():
    """Loading remembers every key it reads; generated ones ("0000"...) must not mask other tests' logs."""
    yield
    secrets.forget_all()


def _problem_texts(problems: list[Problem]) -> list[str]:
    return [problem.message() for problem in problems]


def _assert_within_limits(loaded: Settings) -> None:
    for section, name in FIELD_NAMES:
        value = getattr(section_of(loaded, section), name)
        kind = field_type(section, name)
        assert type(value) is kind, (section, name, value)
        limit = LIMITS.get((section, name))
        if kind in (int, float):
            assert math.isfinite(value)
            if limit is not None:
                assert limit.minimum <= value <= limit.maximum, (section, name, value)
        if kind is str:
            assert len(value) <= MAX_TEXT
            if limit is not None and limit.choices is not None:
                assert value in limit.choices
            if (section, name) in SECRET_FIELDS:
                assert value == "" or (value.isascii() and value.isprintable() and " " not in value)
            else:
                assert clean_line(value, MAX_TEXT) == value, (section, name, value)
    for binding, keys in loaded.keymap.items():
        assert clean_line(binding) == binding and clean_line(keys) == keys


@PROPERTIES
@given(documents)
@example({"gemini": {"temperature": math.nan, "top_p": math.inf, "top_k": 10**30, "model": "[/x]"}})
@example({"ui": {"theme": "[/x]"}, "gemini": {"api_key": "AIza\x1b]52;c;x\x07"}})
@example({"images": {"guidance_scale": -math.inf, "width": 2**64, "negative_prompt": "a\x1b[2Jb"}})
def test_any_document_loads_with_problems_reported_never_raised(document):
    result = parse(document)
    _assert_within_limits(result.settings)
    for text in _problem_texts(result.problems):  # each problem can be shown ...
        assert clean_line(text, 10_000) == " ".join(text.split())  # ... and holds no control character


@settings(PROPERTIES, max_examples=100)
@given(documents)
def test_what_loads_survives_save_and_load(tmp_path, document):
    result = parse(document)
    store = SettingsStore(tmp_path / "cfg" / "config.toml")  # each example overwrites the last
    store.save(result.settings, result.extra)
    again = store.load()
    assert again.problems == []
    assert again.settings.to_dict() == result.settings.to_dict()
    assert tomli_w.dumps(again.extra) == tomli_w.dumps(result.extra)  # as text: NaN != NaN


@PROPERTIES
@given(st.sampled_from([(s, n) for s, n in FIELD_NAMES if field_type(s, n) in (int, float)]), scalars)
def test_coerce_gives_a_finite_in_range_number_or_a_field_error(field_name, value):
    section, name = field_name
    try:
        result = coerce(section, name, value)
    except FieldError as error:
        assert error.message()
        return
    assert math.isfinite(result)
    limit = LIMITS[field_name]
    assert limit.minimum <= result <= limit.maximum


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf", "-inf", "1e999", 10**400])
def test_nan_and_infinities_are_out_of_range(value):
    with pytest.raises(FieldError) as raised:
        coerce("gemini", "temperature", value)
    assert raised.value.key == "settings.error.range"


@pytest.mark.parametrize(
    ("section", "name", "value"),
    [("ui", "theme", "[/x]"), ("gemini", "model", "gemini[bold]"), ("gemini", "model", "a\x1bb"), ("images.huggingface", "model", "x y")],
)
def test_names_that_cannot_be_shown_keep_the_default_and_are_reported(section, name, value):
    assert (section, name) in NAME_FIELDS
    table: dict = {name: value}
    for part in reversed(section.split(".")):  # [images.huggingface] is a table in [images]
        table = {part: table}
    result = parse(table)
    assert getattr(section_of(result.settings, section), name) == getattr(section_of(Settings(), section), name)
    assert [p.key for p in result.problems] == ["config.bad_value"]
    assert "letters, digits" in result.problems[0].message()


def test_text_with_controls_is_cleaned_and_reported():
    result = parse({"images": {"negative_prompt": "blurry\x1b]52;c;aGk=\x07, text"}})
    assert result.settings.images.negative_prompt == "blurry\u241b]52;c;aGk=\u2407, text"
    assert [p.key for p in result.problems] == ["config.cleaned"]


@pytest.mark.parametrize("key", ["AIzaSECRET key", "AIzaSECRET\x1b]0;x\x07", "AIzaSECRETé", "hf_SECRET\u200b"])
def test_keys_that_are_not_printable_ascii_are_refused_and_not_echoed(key):
    result = parse({"gemini": {"api_key": key}, "images": {"api_key": key}})
    assert result.settings.gemini.api_key == "" and result.settings.images.huggingface.api_key == ""
    messages = _problem_texts(result.problems)
    assert len(messages) == 2 and all("printable ASCII" in m for m in messages)
    assert not any("SECRET" in m for m in messages)


def test_hostile_names_in_the_file_are_cleaned_in_messages():
    result = parse({"\x1b[2J": 5, "keymap": {"\x1b]0;pwn\x07": "f5", "new_chat": "ctrl+n\x1b"}, "gemini": {"top_k": "\x9b"}})
    texts = _problem_texts(result.problems)
    assert len(texts) == 3 and all("\x1b" not in text and "\x9b" not in text for text in texts)
    assert result.settings.keymap == {}
    assert result.extra == {"\x1b[2J": 5}  # unknown tables are kept for writing back, never shown
