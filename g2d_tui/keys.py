"""Bindings whose descriptions come from the catalogue, and re-translation on a language switch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingsMap
from textual.markup import escape

from g2d_tui.i18n import t
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from g2d_tui.settings.store import Problem

QUIT_ID = "quit"
QUIT_KEY = "ctrl+q"
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
"""What Textual's drivers put before a key name (``ctrl+shift+up``)."""


def bind(keys: str, action: str, binding_id: str, *, show: bool = True, priority: bool = False, key_display: str | None = None) -> Binding:
    """A Binding with an id (remappable from ``[keymap]``) and translated labels.

    The description is ``binding.<id>`` and the tooltip ``binding_tip.<id>`` in the catalogue.
    """
    return Binding(
        keys,
        action,
        t(f"binding.{binding_id}"),
        show=show,
        priority=priority,
        key_display=key_display,
        tooltip=_tooltip(binding_id),
        id=binding_id,
    )


def _tooltip(binding_id: str) -> str:
    """The footer shows a binding's tooltip as markup: escaped, "[keymap]" stays text."""
    return escape(t(f"binding_tip.{binding_id}"))


def _retranslate_map(bindings_map: BindingsMap | None) -> None:
    if bindings_map is None:
        return
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            replace(item, description=t(f"binding.{item.id}"), tooltip=_tooltip(item.id)) if item.id else item
            for item in bindings
        ]


def retranslate(node: DOMNode) -> None:
    """Refresh the descriptions of ``node``'s bindings in the current language."""
    _retranslate_map(node._bindings)


def retranslate_classes(*classes: type[DOMNode]) -> None:
    """Refresh the bindings that future instances of ``classes`` copy when they are created."""
    for cls in classes:
        _retranslate_map(cls._merged_bindings)


# -- [keymap] validation -------------------------------------------------------------------


@cache
def _named_keys() -> frozenset[str]:
    """Key names Textual's drivers report without modifiers (``f5``, ``pageup``, ``enter``...)."""
    from textual.keys import Keys

    names = {key.value.rpartition("+")[2] for key in Keys}
    return frozenset(name for name in names if name and "-" not in name)  # "ctrl-at": an old alias, never sent


def is_bindable(key: str) -> bool:
    """True if Textual can bind ``key``: modifiers from :data:`MODIFIERS` (each once) plus one
    key: a named key (``f5``, ``enter``), a character, or a character's name (``comma``)."""
    from textual.keys import REPLACED_KEYS, _character_to_key, key_to_character

    if not key or key != key.strip():
        return False
    *modifiers, base = key.split("+")
    if base == "" and key.endswith("+"):  # "ctrl++": the plus key is called "plus"
        return False
    if any(modifier not in MODIFIERS for modifier in modifiers) or len(set(modifiers)) != len(modifiers):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace() and base not in ",+"
    if base in _named_keys():
        return True
    character = key_to_character(REPLACED_KEYS.get(base, base))  # "plus" is Unicode's "plus_sign"
    return character is not None and _character_to_key(character) == base


def normalise_keys(keys: str) -> list[str]:
    """The comma-separated ``keys`` as Textual's keymap will see them (``?`` -> ``question_mark``)."""
    from textual.keys import _normalize_key_list

    return [key for key in _normalize_key_list(keys).split(",")]


@dataclass
class KeymapCheck:
    """A ``[keymap]`` table made safe to apply, and what was wrong with it."""

    keymap: dict[str, str] = field(default_factory=dict)
    """Only entries that name a known binding and only keys Textual can bind."""
    problems: list[Problem] = field(default_factory=list)


def validate_keymap(keymap: Mapping[str, str], known_ids: Iterable[str]) -> KeymapCheck:
    """Check a ``[keymap]`` table before ``App.set_keymap``.

    An unknown binding id, or an entry with any key Textual cannot bind, is left out
    (the binding keeps its default keys) and reported. ``quit`` stays reachable: when
    no key would be left for it (every one of its keys also given to another binding,
    which in one bindings map replaces it), ``ctrl+q`` is kept for quit and taken from
    the others.
    """
    from g2d_tui.settings.store import Problem

    known = set(known_ids)
    check = KeymapCheck()
    for binding_id, keys in keymap.items():
        shown_id = clean_line(binding_id, 64)
        if binding_id not in known:
            check.problems.append(Problem("keymap.unknown_id", {"id": shown_id}))
            continue
        normalised = normalise_keys(keys)
        bad = next((key for key in normalised if not is_bindable(key)), None)
        if bad is not None:
            params = {"id": shown_id, "keys": clean_line(keys, 80), "key": clean_line(bad, 40)}
            check.problems.append(Problem("keymap.bad_key", params))
            continue
        check.keymap[binding_id] = ",".join(normalised)
    _keep_quit_reachable(check)
    return check


def _keep_quit_reachable(check: KeymapCheck) -> None:
    from g2d_tui.settings.store import Problem

    keymap = check.keymap
    quit_keys = keymap.get(QUIT_ID, QUIT_KEY).split(",")
    taken = {key for binding_id, keys in keymap.items() if binding_id != QUIT_ID for key in keys.split(",")}
    if any(key not in taken for key in quit_keys):
        return
    keymap[QUIT_ID] = QUIT_KEY
    for binding_id, keys in list(keymap.items()):
        if binding_id == QUIT_ID:
            continue
        left = [key for key in keys.split(",") if key != QUIT_KEY]
        if left:
            keymap[binding_id] = ",".join(left)
        else:
            del keymap[binding_id]  # back to its default keys
    check.problems.append(Problem("keymap.quit_kept", {}))
