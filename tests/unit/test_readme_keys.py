"""The README's key table is the user's map of the app: every binding and slash command is on it."""

from __future__ import annotations

import re
from pathlib import Path

from textual.binding import Binding

from g2d_tui import slash
from g2d_tui.binding_groups import binding_owners

README = Path(__file__).resolve().parents[2] / "README.md"
SHOWN = {"comma": ","}
"""Key names the README writes as the character (``ctrl+comma`` is ``ctrl+,``)."""


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def bindings() -> list[Binding]:
    return [item for owner in binding_owners() for item in owner.BINDINGS if isinstance(item, Binding)]


def shown(key: str) -> str:
    *modifiers, base = key.strip().split("+")
    return "+".join([*modifiers, SHOWN.get(base, base)])


def test_every_key_is_in_the_key_table():
    using = section("Using it")
    table = "\n".join(line for line in using.splitlines() if line.startswith("| `"))
    in_table = set(re.findall(r"`([^`]+)`", table))
    missing = [f"{item.id}: {shown(key)}" for item in bindings() for key in item.key.split(",") if shown(key) not in in_table]
    assert not missing, "keys missing from the README's key table: " + ", ".join(missing)


def test_every_binding_id_is_listed_for_keymap():
    using = section("Using it")
    ids_paragraph = using[using.index("Ids:") :].split("\n\n")[0]
    listed = set(re.findall(r"`([a-z_]+)`", ids_paragraph))
    missing = sorted({item.id for item in bindings() if item.id} - listed)
    assert not missing, f"binding ids missing from the README's [keymap] list: {missing}"
    unknown = sorted(listed - {item.id for item in bindings()})
    assert not unknown, f"the README lists ids no binding has: {unknown}"


def test_every_slash_command_is_named():
    using = section("Using it")
    commands = [*slash.SIMPLE_COMMANDS, "imagine"]
    missing = [name for name in commands if f"`/{name}" not in using]
    assert not missing, f"slash commands missing from the README: {missing}"


def test_f1_is_not_described_as_help_for_the_focused_widget():
    assert "focused widget" not in README.read_text(encoding="utf-8")
