"""A conversation as a Markdown document or a JSON file, written atomically.

Markdown is for reading: one section per turn, pictures as links relative to the export
file (so the folder can be moved with its pictures), the recipe under each. JSON keeps
every field (ISO 8601 dates) and reads back with :func:`conversation_from_json`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from g2d_tui.conversation import Conversation, Picture, Turn
from g2d_tui.i18n import t
from g2d_tui.services.history.errors import HistoryError, os_cause
from g2d_tui.services.image_store import slugify

JSON_FORMAT = "g2d-tui.conversation"
JSON_VERSION = 1
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_MARKDOWN_SPECIAL = str.maketrans({char: f"\\{char}" for char in "\\`*_[]<>#|"})


def export_stem(conversation: Conversation) -> str:
    """``conversation-<id>-<slug of the title>``: the same conversation always gets the same name."""
    return f"conversation-{conversation.id}-{slugify(conversation.title or 'untitled', 40)}"


def write_markdown(conversation: Conversation, turns: list[Turn], folder: Path) -> Path:
    path = folder.expanduser() / f"{export_stem(conversation)}.md"
    write_atomic(path, conversation_markdown(conversation, turns, path.parent))
    return path


def write_json(conversation: Conversation, turns: list[Turn], folder: Path) -> Path:
    path = folder.expanduser() / f"{export_stem(conversation)}.json"
    text = json.dumps(conversation_json(conversation, turns), ensure_ascii=False, indent=2)
    write_atomic(path, text + "\n")
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it over ``path``.

    Raises:
        HistoryError: ``history.export.unwritable``, ``history.export.disk_full`` or
            ``history.export.failed``.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temp, "x", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        reason = os_cause(error)
        if reason == "read_only":
            raise HistoryError("history.export.unwritable", path=str(path.parent)) from None
        if reason == "disk_full":
            raise HistoryError("history.export.disk_full", path=str(path.parent)) from None
        raise HistoryError("history.export.failed", reason=error.strerror or error.__class__.__name__) from None


# -- Markdown ---------------------------------------------------------------------------


def conversation_markdown(conversation: Conversation, turns: list[Turn], export_dir: Path) -> str:
    """The conversation as Markdown; picture links are relative to ``export_dir``."""
    title = conversation.title or t("history.export.untitled")
    lines = [f"# {escape(title)}", "", f"*{t('history.export.started', date=_when(conversation.created))}*", ""]
    for turn in turns:
        lines += _turn_markdown(turn, export_dir)
    return "\n".join(lines).rstrip() + "\n"


def _turn_markdown(turn: Turn, export_dir: Path) -> list[str]:
    heading = t(f"history.export.role.{turn.role}")
    if turn.role == "model" and turn.model:
        heading = f"{heading} ({escape(turn.model)})"
    lines = [f"## {heading} · {_when(turn.created)}", ""]
    if turn.state != "complete":
        state = t(f"history.export.state.{turn.state}")
        lines += [f"*{state}{': ' + escape(turn.detail) if turn.detail else ''}*", ""]
    if turn.text:
        # User text and replies are Markdown already; image requests are plain text.
        lines += [escape(turn.text) if turn.role == "image" else demote_headings(turn.text), ""]
    for picture in turn.pictures:
        lines += _picture_markdown(picture, export_dir)
    return lines


def _picture_markdown(picture: Picture, export_dir: Path) -> list[str]:
    lines = []
    if picture.path:
        alt = escape(_one_line(picture.prompt)[:80]) or "picture"
        lines += [f"![{alt}]({picture_link(Path(picture.path), export_dir)})", ""]
    lines.append(f"**{t('history.export.prompt')}:** {escape(_one_line(picture.prompt))}  ")
    if picture.negative_prompt:
        lines.append(f"**{t('history.export.negative_prompt')}:** {escape(_one_line(picture.negative_prompt))}  ")
    recipe = [
        f"{t('history.export.seed')} {picture.seed}" if picture.seed is not None else "",
        f"{t('history.export.steps')} {picture.steps}" if picture.steps else "",
        f"CFG {picture.guidance_scale:g}" if picture.guidance_scale is not None else "",
        f"{picture.width}×{picture.height}" if picture.width and picture.height else "",
        escape(picture.model),
    ]
    lines += [" · ".join(part for part in recipe if part), ""]
    return lines


def picture_link(picture: Path, export_dir: Path) -> str:
    """A URL-encoded link to ``picture`` relative to ``export_dir`` (absolute when that is
    impossible, as across Windows drives)."""
    try:
        relative = os.path.relpath(picture, export_dir)
    except ValueError:
        return picture.as_uri()
    return quote(Path(relative).as_posix(), safe="/")


def demote_headings(markdown: str, levels: int = 2) -> str:
    """``markdown`` with its ATX headings ``levels`` deeper (at most ``######``), outside
    fenced code, so a reply's ``## Section`` sits under the turn's ``##`` heading."""
    out, fence = [], ""
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~") and (not fence or marker == fence):
            fence = "" if fence else marker
        elif not fence and _HEADING.match(line):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            line = "#" * min(6, hashes + levels) + stripped[hashes:]
        out.append(line)
    return "\n".join(out)


def escape(text: str) -> str:
    """``text`` with Markdown's special characters escaped."""
    return text.translate(_MARKDOWN_SPECIAL)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# -- JSON -------------------------------------------------------------------------------


def conversation_json(conversation: Conversation, turns: list[Turn]) -> dict[str, Any]:
    """Everything about the conversation, JSON-ready (ISO 8601 dates with offsets)."""
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "conversation": _plain(conversation),
        "turns": [_plain(turn) for turn in turns],
    }


def conversation_from_json(data: dict[str, Any]) -> tuple[Conversation, list[Turn]]:
    """Read back what :func:`conversation_json` made.

    Raises:
        ValueError: not a g2d-tui conversation export.
    """
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError("not a g2d-tui conversation export")
    try:
        conversation = Conversation(**_dated(data["conversation"]))
        turns = []
        for item in data["turns"]:
            fields = _dated(item)
            fields["pictures"] = [Picture(**_dated(picture)) for picture in fields.get("pictures", [])]
            turns.append(Turn(**fields))
    except (KeyError, TypeError) as error:
        raise ValueError(f"damaged conversation export: {error}") from None
    return conversation, turns


def _plain(record: Any) -> Any:
    if dataclasses.is_dataclass(record):
        return {field.name: _plain(getattr(record, field.name)) for field in dataclasses.fields(record)}
    if isinstance(record, list):
        return [_plain(item) for item in record]
    if isinstance(record, datetime):
        return record.isoformat()
    return record


def _dated(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    for name in ("created", "updated"):
        if isinstance(fields.get(name), str):
            fields[name] = datetime.fromisoformat(fields[name])
    return fields
