"""Read and write settings as TOML: tolerant reads, atomic 0600 writes, backups of bad files."""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from g2d_tui.settings.model import (
    IMAGE_SUBSECTIONS,
    SECTIONS,
    FieldError,
    Settings,
    coerce,
    image_section,
    router_root,
    scalar_fields,
    section_of,
)

LEGACY_IMAGE_KEYS = ("api_key", "model", "base_url")
"""Keys of ``[images]`` written by the first version, now in ``[images.huggingface]``."""


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
    migrated: bool = False
    """The file had an older layout; :meth:`SettingsStore.load` rewrites it in the new one."""


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
        elif result.migrated:
            try:  # every value was carried over, so the old layout can go
                self.save(result.settings, result.extra)
            except OSError:
                pass  # read-only config: the values still load the same way next time
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
    result = LoadResult(Settings())
    for name, value in data.items():
        if name == "keymap":
            _parse_keymap(value, result)
        elif name not in SECTIONS:
            result.extra[name] = value
        elif not isinstance(value, dict):
            result.problems.append(Problem("config.bad_section", {"name": name}))
        elif name == "images":
            _parse_images(value, result)
        else:
            _parse_section(name, value, result, result.extra.setdefault(name, {}))
    result.extra = {name: value for name, value in result.extra.items() if value != {}}
    return result


def _parse_keymap(value: Any, result: LoadResult) -> None:
    if not isinstance(value, dict):
        result.problems.append(Problem("config.bad_section", {"name": "keymap"}))
        return
    for binding, keys in value.items():
        if isinstance(keys, str) and keys.strip():
            result.settings.keymap[binding] = keys.strip()
        else:
            result.problems.append(Problem("config.bad_value", {"name": f"keymap.{binding}", "reason": FieldError("settings.error.text")}))


def _parse_section(section: str, table: dict[str, Any], result: LoadResult, extra: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    """The values of one table into ``section``; unknown keys into ``extra``."""
    target = section_of(result.settings, section)
    known = set(scalar_fields(section))
    for key, item in table.items():
        if key in skip:
            continue
        if key not in known:
            extra[key] = item
            continue
        try:
            setattr(target, key, coerce(section, key, item))
        except FieldError as error:
            result.problems.append(Problem("config.bad_value", {"name": f"{section}.{key}", "reason": error}))  # translated when shown


def _parse_images(table: dict[str, Any], result: LoadResult) -> None:
    """``[images]``, its backends' sub-tables, and the first version's flat Hugging Face keys."""
    extra = result.extra.setdefault("images", {})
    _parse_section("images", table, result, extra, skip=(*IMAGE_SUBSECTIONS, *LEGACY_IMAGE_KEYS))
    for backend in IMAGE_SUBSECTIONS:
        sub = table.get(backend)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            result.problems.append(Problem("config.bad_section", {"name": image_section(backend)}))
            continue
        sub_extra: dict[str, Any] = {}
        _parse_section(image_section(backend), sub, result, sub_extra)
        if sub_extra:
            extra[backend] = sub_extra
    _migrate_flat_keys(table, result)


def _migrate_flat_keys(table: dict[str, Any], result: LoadResult) -> None:
    """Move ``[images] api_key/model/base_url`` to ``[images.huggingface]`` (the table's
    own values win); ``base_url`` pointed at the hf-inference endpoint, now the router root."""
    legacy = {key: table[key] for key in LEGACY_IMAGE_KEYS if key in table}
    if not legacy:
        return
    result.migrated = True
    section = image_section("huggingface")
    target = result.settings.images.huggingface
    explicit = table.get("huggingface") if isinstance(table.get("huggingface"), dict) else {}
    for key, item in legacy.items():
        if key in explicit:
            continue
        if key == "base_url" and isinstance(item, str):
            item = router_root(item)
        try:
            setattr(target, key, coerce(section, key, item))
        except FieldError as error:
            result.problems.append(Problem("config.bad_value", {"name": f"images.{key}", "reason": error}))


def _serialisable(settings: Settings) -> dict[str, Any]:
    data = settings.to_dict()
    if not data["keymap"]:
        del data["keymap"]
    return data


def _merge(extra: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Known values win; unknown keys survive in their tables (at any depth)."""
    merged: dict[str, Any] = {}
    for name, value in extra.items():
        merged[name] = dict(value) if isinstance(value, dict) else value
    for name, value in known.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge(merged[name], value)
        else:
            merged[name] = value
    return merged
