"""Language resolution, fallback, formatting; slash command parsing."""

from __future__ import annotations

import pytest

from g2d_tui import i18n, slash


@pytest.mark.parametrize(
    ("cli", "setting", "environ", "expected"),
    [
        ("pt-BR", "en", {"LANG": "en_US.UTF-8"}, "pt-BR"),
        (None, "pt-BR", {"LANG": "en_US.UTF-8"}, "pt-BR"),
        (None, "", {"LANG": "pt_BR.UTF-8"}, "pt-BR"),
        (None, "", {"LANG": "pt_PT.UTF-8"}, "pt-BR"),
        (None, "", {"LANG": "de_DE.UTF-8"}, "en"),
        (None, "", {}, "en"),
        (None, "", {"LC_ALL": "C", "LANG": "pt_BR"}, "pt-BR"),
    ],
)
def test_resolve_language_order(cli, setting, environ, expected):
    assert i18n.resolve_language(cli, setting, environ=environ) == expected


def test_missing_key_falls_back_to_english_then_key(monkeypatch):
    i18n.set_language("pt-BR")
    monkeypatch.setitem(i18n.catalogue("en"), "only.english", "Only English")
    assert i18n.t("only.english") == "Only English"
    assert i18n.t("no.such.key") == "no.such.key"


def test_format_placeholders_and_bad_params_do_not_crash():
    assert i18n.t("config.bad_value", name="x") == i18n.catalogue("en")["config.bad_value"]  # {reason} not given
    assert i18n.t("settings.fix_errors", count="five") == "Fix the five highlighted fields before saving."
    assert i18n.t("imagine.running", count=True) == "True images in progress"  # a bool is no count: plural
    assert i18n.t("settings.fix_errors") == "settings.fix_errors"  # no count to pick a form by


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 image in progress"),
        ("en", 2, "2 images in progress"),
        ("en", 0, "0 images in progress"),
        ("pt-BR", 1, "1 imagem em andamento"),
        ("pt-BR", 3, "3 imagens em andamento"),
        ("pt-BR", 0, "0 imagem em andamento"),  # CLDR: Portuguese counts 0 as "one"
    ],
)
def test_counted_messages_take_the_plural_form_of_the_language(language, count, expected):
    i18n.set_language(language)
    assert i18n.t("imagine.running", count=count) == expected


def test_number_format_follows_language():
    i18n.set_language("en")
    assert i18n.format_number(1234.5, 1) == "1,234.5"
    i18n.set_language("pt-BR")
    assert i18n.format_number(1234.5, 1) == "1.234,5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", slash.Chat("hello")),
        ("  /imagine   a red   fox ", slash.Imagine("a red fox")),
        ("/IMAGINE cat", slash.Imagine("cat")),
        ("/imagine", slash.Invalid("slash.imagine_empty", "imagine")),
        ("/imagine\na cat", slash.Imagine("a cat")),
        ("//imagine is a word", slash.Chat("/imagine is a word")),
        ("/new", slash.Command("new")),
        ("/clear", slash.Command("new")),
        ("/help", slash.Command("help")),
        ("/dance", slash.Invalid("slash.unknown", "dance")),
        ("say /imagine later", slash.Chat("say /imagine later")),
    ],
)
def test_slash_parse(text, expected):
    assert slash.parse(text) == expected
