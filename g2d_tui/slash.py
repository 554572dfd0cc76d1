"""Parse what the user typed: plain chat or a slash command. Pure, no Textual."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chat:
    text: str


@dataclass(frozen=True)
class Imagine:
    request: str


@dataclass(frozen=True)
class Edit:
    """``/edit <instruction>``: change the latest (or focused) picture."""

    instruction: str


@dataclass(frozen=True)
class Command:
    """A command without arguments: ``help``, ``new``, ``settings``, ``conversations``, ``gallery``."""

    name: str


@dataclass(frozen=True)
class Invalid:
    """A slash command we cannot run; ``key`` says why (i18n)."""

    key: str
    command: str = ""


Parsed = Chat | Imagine | Edit | Command | Invalid
SIMPLE_COMMANDS = {
    "help": "help", "new": "new", "clear": "new", "settings": "settings",
    "conversations": "conversations", "history": "conversations", "gallery": "gallery",
}


def parse(text: str) -> Parsed:
    """``/imagine a fox`` -> Imagine("a fox"); ``//text`` sends ``/text`` as chat."""
    stripped = text.strip()
    if stripped.startswith("//"):
        return Chat(stripped[1:])
    if not stripped.startswith("/"):
        return Chat(stripped)
    head, _, rest = stripped[1:].partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = f"{more} {rest}".strip()
    name = head.lower()
    if name in ("imagine", "edit"):
        request = " ".join(rest.split())
        if not request:
            return Invalid(f"slash.{name}_empty", name)
        return Imagine(request) if name == "imagine" else Edit(request)
    if name in SIMPLE_COMMANDS:
        return Command(SIMPLE_COMMANDS[name])
    return Invalid("slash.unknown", name)
