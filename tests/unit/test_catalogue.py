"""The message catalogues: both languages complete and consistent, every key the code uses exists.

Checks the TOML files under ``g2d_tui/locales/<lang>/`` directly (not only the merged
catalogue), and reads ``g2d_tui/**/*.py`` with ``ast`` to find the keys in use.
"""

from __future__ import annotations

import ast
import re
import string
import tomllib
from functools import cache
from pathlib import Path

import pytest

from g2d_tui import i18n
from g2d_tui.i18n import LOCALES_DIR, _flatten
from g2d_tui.screens.settings_form import ALL_FIELDS, FORM
from g2d_tui.settings.model import IMAGE_BACKENDS

PACKAGE = Path(i18n.__file__).parent
LANGUAGES = list(i18n.LANGUAGES)
TRANSLATIONS = [language for language in LANGUAGES if language != i18n.DEFAULT_LANGUAGE]

# pt-BR values that may equal the English one although they have 3+ words.
SAME_AS_ENGLISH_OK = {
    "settings.placeholder.images.negative_prompt",  # an example prompt: Stable Diffusion prompts are written in English
}
PLURAL_FORMS = ("one", "other")
KEY_LITERAL = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
NOT_KEYS = re.compile(r"\.(tcss|toml|py|png|svg|json|md|txt|sqlite3)$")  # file names that look like keys


# -- reading ----------------------------------------------------------------------------


@cache
def files_of(language: str) -> dict[str, dict[str, str]]:
    """``{file name: flat messages}`` for one language."""
    folder = LOCALES_DIR / language
    result = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            result[path.name] = _flatten(tomllib.load(file))
    return result


def merged(language: str) -> dict[str, str]:
    return i18n.catalogue(language)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def words(text: str) -> list[str]:
    """The natural-language words of ``text``: no placeholders, URLs, code, env vars or keys."""
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    tokens = (token.strip(".,;:!?()[]\"'“”…—–") for token in text.split())
    return [token for token in tokens if len(token) >= 2 and token.isalpha()]  # not ids like gemini-flash-latest


@cache
def sources() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def calls(name: str):
    """``(path, call)`` for every call of a function called ``name`` (plain or attribute)."""
    for path, tree in sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if called == name:
                    yield path, node


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


def literal_keys(node: ast.AST) -> list[str] | None:
    """The key(s) a ``t()`` argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = literal_keys(node.body), literal_keys(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


# -- the catalogues themselves ----------------------------------------------------------


def test_every_language_has_a_folder_with_messages():
    for language in LANGUAGES:
        assert files_of(language), f"no *.toml in {LOCALES_DIR / language}"
        assert merged(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_is_defined_in_two_files(language):
    seen: dict[str, str] = {}
    clashes = []
    for name, messages in files_of(language).items():
        for key in messages:
            if key in seen:
                clashes.append(f"{key} in {seen[key]} and {name}")
            seen[key] = name
    assert not clashes, "a later file silently overrides an earlier one:\n" + "\n".join(clashes)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_same_keys_in_every_language(language):
    english, other = set(merged("en")), set(merged(language))
    missing, extra = sorted(english - other), sorted(other - english)
    assert not missing and not extra, f"{language}: missing {missing}; not in English {extra}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_keys_live_in_the_same_file_as_in_english(language):
    """Translators find a key where the English one is: ui.toml next to ui.toml."""
    english_file = {key: name for name, messages in files_of("en").items() for key in messages}
    moved = [
        f"{key}: {name} (English: {english_file[key]})"
        for name, messages in files_of(language).items()
        for key in messages
        if key in english_file and english_file[key] != name
    ]
    assert not moved, "\n".join(moved)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_same_placeholders_in_every_language(language):
    english, other = merged("en"), merged(language)
    different = [
        f"{key}: en {sorted(placeholders(english[key]))} / {language} {sorted(placeholders(other[key]))}"
        for key in sorted(set(english) & set(other))
        if placeholders(english[key]) != placeholders(other[key])
    ]
    assert not different, "\n".join(different)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_formats_and_is_not_empty(language):
    problems = []
    for key, text in merged(language).items():
        if not text.strip():
            problems.append(f"{key}: empty")
            continue
        try:
            text.format(**{name: "x" for name in placeholders(text)})
        except (ValueError, KeyError, IndexError) as error:  # stray { or } breaks str.format
            problems.append(f"{key}: {error}")
        if any(not name.isidentifier() for name in placeholders(text)):
            problems.append(f"{key}: placeholders must be names, got {sorted(placeholders(text))}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_sentences_are_translated(language):
    english, other = merged("en"), merged(language)
    untranslated = [
        f"{key} = {other[key]!r}"
        for key in sorted(set(english) & set(other))
        if other[key] == english[key] and len(words(english[key])) >= 3 and key not in SAME_AS_ENGLISH_OK
    ]
    assert not untranslated, "identical to English:\n" + "\n".join(untranslated)
    stale = sorted(key for key in SAME_AS_ENGLISH_OK if key in other and other[key] != english.get(key))
    assert not stale, f"no longer identical, drop from SAME_AS_ENGLISH_OK: {stale}"


def _tokens(text: str) -> set[str]:
    """What must survive translation verbatim: URLs, env vars, key names, slash commands."""
    from g2d_tui import slash

    commands = {"imagine", *slash.SIMPLE_COMMANDS}
    found = set(re.findall(r"https?://[^\s)·,]+[^\s)·,.]", text))
    found |= set(re.findall(r"\$?\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", text))
    found |= {key.lower() for key in re.findall(r"\b(?:ctrl|alt|shift)\+\w+|\bF\d{1,2}\b", text, flags=re.IGNORECASE)}
    found |= {f"/{name}" for name in re.findall(r"(?<![\w/])/([a-z]+)\b", text) if name in commands}
    return found


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_urls_env_vars_keys_and_commands_are_kept(language):
    english, other = merged("en"), merged(language)
    lost = []
    for key in sorted(set(english) & set(other)):
        if key.startswith("settings.placeholder."):
            continue  # example values, may be localised (e.g. ~/Imagens)
        gone = _tokens(english[key]) - _tokens(other[key])
        if gone:
            lost.append(f"{key}: {sorted(gone)}")
    assert not lost, "\n".join(lost)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_leading_symbols_are_kept(language):
    """⚠ and ⏹ start some messages; the translation should start the same way."""
    english, other = merged("en"), merged(language)
    different = [
        key
        for key in sorted(set(english) & set(other))
        if english[key][:1] in "⚠⏹✗✓" and other[key][:1] != english[key][:1]
    ]
    assert not different


def test_footer_labels_stay_short():
    """Labels of bindings shown in the footer share its single line at 80 columns."""
    shown = set()
    for _, call in calls("bind"):
        hidden = any(keyword.arg == "show" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False for keyword in call.keywords)
        if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant) and not hidden:
            shown.add(call.args[2].value)
    assert shown
    english = merged("en")
    too_long = [
        f"{language} binding.{binding_id} = {merged(language)[f'binding.{binding_id}']!r}"
        for language in LANGUAGES
        for binding_id in sorted(shown)
        if len(merged(language).get(f"binding.{binding_id}", "")) > max(14, len(english.get(f"binding.{binding_id}", "")) + 4)
    ]
    assert not too_long, "\n".join(too_long)


# -- keys used by the code --------------------------------------------------------------


def forms(messages: dict[str, str], key: str, counted: bool) -> list[str]:
    """The text(s) ``t(key)`` can show: the message, or its plural forms if it is given a count."""
    if key in messages:
        return [messages[key]]
    plural = [messages[f"{key}.{form}"] for form in PLURAL_FORMS if f"{key}.{form}" in messages]
    return plural if counted and len(plural) == len(PLURAL_FORMS) else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_tables_have_exactly_the_forms_t_picks_from(language):
    children: dict[str, set[str]] = {}
    for key in merged(language):
        table, _, name = key.rpartition(".")
        children.setdefault(table, set()).add(name)
    # A table of nothing but plural forms is a counted message (chat.stopped.other is not one).
    tables = {table: names for table, names in children.items() if names <= set(PLURAL_FORMS)}
    assert tables, "no plural table found: the scan is broken"
    incomplete = [f"{table}: {sorted(found)}" for table, found in tables.items() if found != set(PLURAL_FORMS)]
    assert not incomplete, "\n".join(incomplete)


def test_literal_t_calls_use_existing_keys():
    english = merged("en")
    missing, seen = [], 0
    for path, call in calls("t"):
        if not call.args:
            continue
        keys = literal_keys(call.args[0])
        if keys is None:
            continue
        seen += 1
        counted = any(keyword.arg == "count" for keyword in call.keywords)
        missing += [f"{where(path, call)} t({key!r})" for key in keys if not forms(english, key, counted)]
    assert seen > 50, "the ast scan found suspiciously few t() calls"
    assert not missing, "\n".join(missing)


def test_literal_t_calls_pass_every_placeholder():
    english = merged("en")
    problems = []
    for path, call in calls("t"):
        if not call.args or any(keyword.arg is None for keyword in call.keywords):
            continue  # t(key, **params): checked at run time
        for key in literal_keys(call.args[0]) or []:
            given = {keyword.arg for keyword in call.keywords}
            texts = forms(english, key, "count" in given)
            needed = set().union(*map(placeholders, texts))
            if len(texts) > 1:
                needed.add("count")  # it picks the plural form
            if needed - given:
                problems.append(f"{where(path, call)} t({key!r}) lacks {sorted(needed - given)}")
            if given - needed:
                problems.append(f"{where(path, call)} t({key!r}) passes unused {sorted(given - needed)}")
    assert not problems, "\n".join(problems)


def test_f_string_t_calls_have_a_matching_family():
    """``t(f"settings.section.{x}")``: at least one key starts with the literal prefix."""
    english = merged("en")
    problems = []
    for path, call in calls("t"):
        if call.args and isinstance(call.args[0], ast.JoinedStr):
            first = call.args[0].values[0]
            prefix = first.value if isinstance(first, ast.Constant) else ""
            if not prefix or not any(key.startswith(prefix) for key in english):
                problems.append(f"{where(path, call)} t(f{prefix!r}...)")
    assert not problems, "\n".join(problems)


def _binding_ids() -> list[tuple[str, str]]:
    ids = []
    for path, call in calls("bind"):
        if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant):
            ids.append((where(path, call), call.args[2].value))
    return ids


def test_every_binding_has_a_label_and_a_tooltip():
    english = merged("en")
    ids = _binding_ids()
    assert len(ids) >= 15, "the ast scan found suspiciously few bind() calls"
    missing = [f"{place} {prefix}.{binding_id}" for place, binding_id in ids for prefix in ("binding", "binding_tip") if f"{prefix}.{binding_id}" not in english]
    assert not missing, "\n".join(missing)


def test_binding_ids_are_unique_per_action():
    """``[keymap]`` remaps by id: one id must not stand for two different keys' owners' actions."""
    seen: dict[str, str] = {}
    clashes = []
    for path, call in calls("bind"):
        if len(call.args) >= 3 and all(isinstance(arg, ast.Constant) for arg in call.args[:3]):
            binding_id, action = call.args[2].value, call.args[1].value
            if binding_id in seen and seen[binding_id] != action:
                clashes.append(f"{where(path, call)} {binding_id}: {seen[binding_id]} vs {action}")
            seen[binding_id] = action
    assert not clashes, "\n".join(clashes)


def test_catalogue_binding_entries_are_all_used():
    used = {binding_id for _, binding_id in _binding_ids()}
    english = merged("en")
    for prefix in ("binding", "binding_tip"):
        unused = sorted(key for key in english if key.startswith(prefix + ".") and key.split(".", 1)[1] not in used)
        assert not unused, f"{prefix} entries with no bind(): {unused}"


def test_settings_form_keys_exist():
    english = merged("en")
    needed = [f"settings.section.{section}" for section in FORM]
    for item in ALL_FIELDS:
        needed += [item.label_key, item.hint_key]
        if item.kind not in ("bool", "choice"):  # text inputs show a placeholder
            needed.append(f"settings.placeholder.{item.section}.{item.name}")
    needed += [f"settings.backend.{name}" for name in IMAGE_BACKENDS]
    missing = [key for key in needed if key not in english]
    assert not missing, "\n".join(missing)


def test_settings_catalogue_has_no_orphan_fields():
    """A field removed from the form should leave the catalogue too."""
    english = merged("en")
    fields = {(item.section, item.name) for item in ALL_FIELDS}  # sections may be dotted: images.huggingface
    orphans = []
    for key in english:
        parts = key.split(".")
        if len(parts) >= 4 and parts[0] == "settings" and parts[1] in ("field", "hint", "placeholder"):
            if (".".join(parts[2:-1]), parts[-1]) not in fields:
                orphans.append(key)
    assert not orphans, orphans


def test_finish_reasons_shown_in_chat_exist():
    english = merged("en")
    for reason in ("MAX_TOKENS", "SAFETY", "RECITATION"):  # screens/chat.py: t(f"chat.stopped.{reason.lower()}")
        assert f"chat.stopped.{reason.lower()}" in english
    assert "chat.stopped.other" in english


def test_every_key_looking_literal_in_the_code_exists():
    """Keys also travel as plain strings: ServiceError("gemini.timeout"), Note(key=...), set_status(..., key)."""
    english = merged("en")
    namespaces = {key.split(".")[0] for key in english}
    missing = []
    for path, tree in sources().items():
        in_f_strings = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in in_f_strings:
                continue
            text = node.value
            if KEY_LITERAL.match(text) and not NOT_KEYS.search(text) and text.split(".")[0] in namespaces and not forms(english, text, True):
                missing.append(f"{where(path, node)} {text!r}")
    assert not missing, "\n".join(missing)
