"""Read and write settings as TOML: tolerant reads, atomic 0600 writes, backups of bad files."""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from g2d_tui.services import secrets
from g2d_tui.services.leftovers import remove_leftovers
from g2d_tui.services.sanitize import clean_line, is_clean
from g2d_tui.settings.model import (
    IMAGE_SUBSECTIONS,
    SECRET_FIELDS,
    SECTIONS,
    FieldError,
    Settings,
    coerce,
    image_section,
    router_root,
    scalar_fields,
    section_of,
)

MAX_TEXT = 4096
"""Longest text value kept from the file (a path is the longest thing a field holds)."""
NAME_FIELDS = frozenset({("gemini", "model"), (image_section("huggingface"), "model"), (image_section("gemini"), "model"), ("ui", "theme")})
"""Fields holding an identifier: shown in pickers and sent in URLs, so held to :data:`_NAME`."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,199}\Z")
_BINDING_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
TEMP_PREFIX, TEMP_SUFFIX = ".config-", ".tmp"
STALE_TEMP_AGE = 60.0
"""Seconds after which a temp file of a save is a leftover of a killed process (a save takes milliseconds)."""
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
    found: bool = True
    """A settings file was there to read (False: nothing was saved yet, or it could not be reached)."""


class SettingsStore:
    """The settings file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LoadResult:
        """Read the file; a missing file gives defaults, a damaged one defaults for the bad parts."""
        remove_stale_temp_files(self.path.parent)
        try:
            raw_bytes = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult(Settings(), found=False)
        except IsADirectoryError:
            reason = FieldError("config.path_is_folder", path=_shown(self.path))
            return LoadResult(Settings(), [Problem("config.unreadable", {"path": _shown(self.path), "reason": reason})], found=False)
        except OSError as error:
            blocking = _file_in_the_way(self.path.parent)
            reason: object = FieldError("config.folder_is_file", path=_shown(blocking)) if blocking else error.strerror or type(error).__name__
            return LoadResult(Settings(), [Problem("config.unreadable", {"path": _shown(self.path), "reason": reason})], found=False)
        try:
            data = tomllib.loads(raw_bytes.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            backup = self._backup()
            return LoadResult(Settings(), [Problem("config.corrupt", {"reason": clean_line(error, 200)})], backup)
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
        """Write atomically (temp file + rename) with mode 0600, creating the folder (0700).

        On any failure the temp file (which holds the keys) is removed before the error
        goes on; one left by a killed process is removed by the next :meth:`load`.

        Raises:
            OSError: the file could not be written (``strerror`` says why, in words).
        """
        import tomli_w

        secrets.remember(settings.gemini.api_key, settings.images.huggingface.api_key)
        document = _merge(extra or {}, _serialisable(settings))
        text = tomli_w.dumps(document)
        _make_private_folder(self.path.parent)
        if self.path.is_dir():  # os.replace would say only "Is a directory"
            from g2d_tui.i18n import t
            from g2d_tui.paths import display_path

            raise IsADirectoryError(errno.EISDIR, t("config.path_is_folder", path=_shown(display_path(self.path))), str(self.path))
        descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.path.parent)
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
            result.problems.append(Problem("config.bad_section", {"name": _shown(name)}))
        elif name == "images":
            _parse_images(value, result)
        else:
            _parse_section(name, value, result, result.extra.setdefault(name, {}))
    result.extra = {name: value for name, value in result.extra.items() if value != {}}
    settings = result.settings
    secrets.remember(settings.gemini.api_key, settings.images.huggingface.api_key)
    return result


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
        _set_checked(target, section, key, item, result.problems, shown_as=f"{section}.{key}")


def _set_checked(target: Any, section: str, key: str, item: Any, problems: list[Problem], shown_as: str) -> None:
    """``target.key = item`` if it fits the field (text cleaned), else a reported problem."""
    try:
        value = coerce(section, key, item)
        if isinstance(value, str):
            value = _checked_text(section, key, value, problems)
        setattr(target, key, value)
    except FieldError as error:
        problems.append(Problem("config.bad_value", {"name": _shown(shown_as), "reason": error}))  # translated when shown


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
        _set_checked(target, section, key, item, result.problems, shown_as=f"images.{key}")


def _checked_text(section: str, key: str, value: str, problems: list[Problem]) -> str:
    """A text value from the file made safe to show; FieldError when it cannot be used.

    Keys must be printable ASCII without spaces (they are sent as HTTP headers and a
    changed key is no key); identifiers must look like one (``[/x]`` is no theme name);
    other text is cleaned with ``clean_line`` and the change reported when it was more
    than spacing.
    """
    if (section, key) in SECRET_FIELDS:
        if value and not (value.isascii() and value.isprintable() and " " not in value and len(value) <= MAX_TEXT):
            raise FieldError("settings.error.key_chars")
        return value
    cleaned = clean_line(value, MAX_TEXT)
    if (section, key) in NAME_FIELDS:
        if cleaned != value or not _NAME.match(value):
            raise FieldError("settings.error.name")
        return value
    if not is_clean(value) or len(value) > MAX_TEXT:
        problems.append(Problem("config.cleaned", {"name": f"{section}.{key}"}))
    return cleaned


def _parse_keymap(table: Any, result: LoadResult) -> None:
    """Binding ids and key lists as text; whether they name real bindings and keys is
    checked where Textual is (``g2d_tui.keys.validate_keymap``)."""
    settings, problems = result.settings, result.problems
    if not isinstance(table, dict):
        problems.append(Problem("config.bad_section", {"name": "keymap"}))
        return
    for binding, keys in table.items():
        name = _shown(f"keymap.{binding}")
        if not _BINDING_ID.match(binding):
            problems.append(Problem("config.bad_value", {"name": name, "reason": FieldError("settings.error.binding_id")}))
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(Problem("config.bad_value", {"name": name, "reason": FieldError("settings.error.text")}))
        elif clean_line(keys, 200) != keys.strip():
            problems.append(Problem("config.bad_value", {"name": name, "reason": FieldError("settings.error.keys")}))
        else:
            settings.keymap[binding] = keys.strip()


def _shown(text: object) -> str:
    """A name or path from the file or the file system, safe to put in a message."""
    return clean_line(text, 120)


def remove_stale_temp_files(folder: Path, *, older_than: float = STALE_TEMP_AGE) -> list[Path]:
    """Delete temp files of saves that never finished (they may hold keys); returns them."""
    return remove_leftovers(folder, f"{TEMP_PREFIX}*{TEMP_SUFFIX}", older_than=older_than)


class ConfigFolderError(NotADirectoryError):
    """The settings folder cannot be made because a file stands in its place."""


def _file_in_the_way(folder: Path) -> Path | None:
    """The file that sits where ``folder`` or one of its parents should be, if any."""
    for candidate in (folder, *folder.parents):
        try:
            if candidate.exists():
                return None if candidate.is_dir() else candidate
        except OSError:
            return None
    return None


def _make_private_folder(folder: Path) -> None:
    """Create ``folder`` with mode 0700 (parents as the umask says); say which file is in the way."""
    blocking = _file_in_the_way(folder)
    if blocking is not None:
        from g2d_tui.i18n import t

        from g2d_tui.paths import display_path

        raise ConfigFolderError(errno.ENOTDIR, t("config.folder_is_file", path=_shown(display_path(blocking))), str(blocking))
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return  # made by another process meanwhile
    os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask


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
