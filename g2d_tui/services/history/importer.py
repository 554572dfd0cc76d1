"""Find pictures made elsewhere (or before the history existed) and their recipes.

Looks at the PNGs of one folder (and, with ``depth=1``, its subfolders), reads their text
chunks without decoding pixels, and turns those carrying a recipe (an A1111-style
``parameters`` chunk, ours included, or a ComfyUI ``prompt`` chunk) into
:class:`~g2d_tui.conversation.Picture` records. Files already known by path or content
are skipped. Synchronous and disk-bound: run it in a thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from g2d_tui.conversation import Picture
from g2d_tui.services.history.errors import HistoryError
from g2d_tui.services.history.gallery import file_sha256
from g2d_tui.services.history.parameters import parse_comfy_prompt, parse_parameters
from g2d_tui.services.history.png_text import UnreadablePng, read_png_info
from g2d_tui.services.history.records import ImportResult
from g2d_tui.services.sanitize import clean, clean_line

MAX_FILE_SIZE = 512 << 20
MAX_FILES = 100_000
KEYWORDS = frozenset({"parameters", "prompt", "Software", "g2d-request"})
OUR_SOFTWARE = "g2d-tui"


class UnreadablePicture(Exception):
    """The file cannot be read as a PNG."""


@dataclass
class ScanResult:
    pictures: list[Picture] = field(default_factory=list)
    """New pictures, with paths, digests and recipes, not stored yet."""
    skipped: int = 0
    unreadable: int = 0

    @property
    def result(self) -> ImportResult:
        return ImportResult(added=len(self.pictures), skipped=self.skipped, unreadable=self.unreadable)


def candidates(folder: Path, depth: int = 0) -> list[Path]:
    """The ``.png`` files of ``folder`` (and of its subfolders if ``depth`` >= 1), sorted.

    Hidden files (our ``.part`` temporaries among them) and links to folders are left out.

    Raises:
        HistoryError: ``history.import.not_a_folder`` / ``history.import.unreadable``.
    """
    if not folder.is_dir():
        raise HistoryError("history.import.not_a_folder", path=str(folder))
    found: list[Path] = []
    pending = [(folder, 0)]
    while pending:
        current, level = pending.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or len(found) >= MAX_FILES:
                        continue
                    if entry.is_dir(follow_symlinks=False) and level < depth:
                        pending.append((Path(entry.path), level + 1))
                    elif entry.name.lower().endswith(".png") and entry.is_file():
                        found.append(Path(entry.path))
        except OSError:
            if current == folder:
                raise HistoryError("history.import.unreadable", path=str(folder)) from None
    return sorted(found)


def read_picture(path: Path) -> Picture | None:
    """The picture at ``path`` with its recipe; None if it carries no recipe.

    Raises:
        UnreadablePicture: not a PNG, damaged, too large, or not readable.
    """
    try:
        status = path.stat()
        if status.st_size > MAX_FILE_SIZE:
            raise UnreadablePicture("too large")
        info = read_png_info(path, KEYWORDS)
    except (OSError, UnreadablePng) as error:
        raise UnreadablePicture(str(error)) from None
    texts = info.texts
    ours = clean_line(texts.get("Software", "")) == OUR_SOFTWARE
    if "parameters" in texts:
        recipe, backend = parse_parameters(texts["parameters"]), "" if ours else "a1111"
    elif "prompt" in texts:
        recipe, backend = parse_comfy_prompt(texts["prompt"]), "comfyui"
    else:
        return None
    if recipe is None or not (recipe["prompt"] or recipe["seed"] is not None or recipe["steps"]):
        return None
    try:
        digest = file_sha256(path)
    except OSError as error:
        raise UnreadablePicture(str(error)) from None
    return Picture(
        path=str(path.resolve()),
        prompt=recipe["prompt"],
        negative_prompt=recipe["negative_prompt"],
        seed=recipe["seed"],
        steps=recipe["steps"],
        guidance_scale=recipe["guidance_scale"],
        width=info.width,
        height=info.height,
        model=recipe["model"],
        backend=backend,
        request=clean(texts.get("g2d-request", "")).strip(),
        sha256=digest,
        file_size=status.st_size,
        created=datetime.fromtimestamp(status.st_mtime).astimezone(),
    )


def scan_folder(folder: Path, depth: int, known_paths: set[str], known_digests: set[str]) -> ScanResult:
    """The new pictures of ``folder``, and how many files were skipped or unreadable.

    ``known_paths`` and ``known_digests`` are the gallery's (see ``HistoryStore.known_files``);
    files matching either are skipped, and so is a second copy of the same content.
    """
    scan = ScanResult()
    digests = set(known_digests)
    for path in candidates(folder.expanduser(), depth):
        if str(path) in known_paths or str(path.resolve()) in known_paths:
            scan.skipped += 1
            continue
        try:
            picture = read_picture(path)
        except UnreadablePicture:
            scan.unreadable += 1
            continue
        if picture is None or picture.sha256 in digests:
            scan.skipped += 1
            continue
        digests.add(picture.sha256)
        scan.pictures.append(picture)
    return scan
