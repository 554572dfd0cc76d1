"""Read and write settings as TOML: tolerant reads, atomic 0600 writes, backups of bad files."""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from g2d_tui.settings.model import SECTIONS, FieldError, Settings, coerce


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file, as an i18n key plus parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self) -> str:
        from g2d_tui.i18n import t

        return t(self.key, **self.params)


@dataclass
class LoadResult:
    settings: Settings
    problems: list[Problem] = field(default_factory=list)
    backup: Path | None = None
    """Copy of the damaged file, made before anything could overwrite it."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Unknown tables and keys, written back untouched."""


class SettingsStore:
    """The settings file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LoadResult:
        """Read the file; a missing file gives defaults, a damaged one defaults for the bad parts."""
        try:
            raw_bytes = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult(Settings())
        except IsADirectoryError:
            return LoadResult(Settings(), [Problem("config.unreadable", {"path": str(self.path), "reason": "directory"})])
        except OSError as error:
            reason = error.strerror or type(error).__name__
            return LoadResult(Settings(), [Problem("config.unreadable", {"path": str(self.path), "reason": reason})])
        try:
            data = tomllib.loads(raw_bytes.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            backup = self._backup()
            return LoadResult(Settings(), [Problem("config.corrupt", {"reason": str(error)})], backup)
        result = parse(data)
        if result.problems:
            result.backup = self._backup()
        return result

    def save(self, settings: Settings, extra: dict[str, Any] | None = None) -> None:
        """Write atomically (temp file + rename) with mode 0600, creating the folder."""
        import tomli_w

        document = _merge(extra or {}, _serialisable(settings))
        text = tomli_w.dumps(document)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _backup(self) -> Path | None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bak-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = self.path.with_name(f"{self.path.name}.bak-{stamp}-{counter}")
        try:
            shutil.copy2(self.path, target)
            os.chmod(target, 0o600)
        except OSError:
            return None
        return target


def parse(data: dict[str, Any]) -> LoadResult:
    """Build settings from a TOML document, keeping good values and reporting bad ones."""
    settings = Settings()
    problems: list[Problem] = []
    extra: dict[str, Any] = {}
    for name, value in data.items():
        if name == "keymap":
            if isinstance(value, dict):
                for binding, keys in value.items():
                    if isinstance(keys, str) and keys.strip():
                        settings.keymap[binding] = keys.strip()
                    else:
                        problems.append(Problem("config.bad_value", {"name": f"keymap.{binding}", "reason": FieldError("settings.error.text")}))
            else:
                problems.append(Problem("config.bad_section", {"name": name}))
            continue
        if name not in SECTIONS:
            extra[name] = value
            continue
        if not isinstance(value, dict):
            problems.append(Problem("config.bad_section", {"name": name}))
            continue
        section = getattr(settings, name)
        known = {item.name for item in fields(section)}
        for key, item in value.items():
            if key not in known:
                extra.setdefault(name, {})[key] = item
                continue
            try:
                setattr(section, key, coerce(name, key, item))
            except FieldError as error:
                problems.append(Problem("config.bad_value", {"name": f"{name}.{key}", "reason": error}))  # translated when shown
    return LoadResult(settings, problems, extra=extra)


def _serialisable(settings: Settings) -> dict[str, Any]:
    data = settings.to_dict()
    if not data["keymap"]:
        del data["keymap"]
    return data


def _merge(extra: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Known values win; unknown keys survive in their tables."""
    merged: dict[str, Any] = {}
    for name, value in extra.items():
        merged[name] = dict(value) if isinstance(value, dict) else value
    for name, value in known.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name].update(value)
        else:
            merged[name] = value
    return merged
