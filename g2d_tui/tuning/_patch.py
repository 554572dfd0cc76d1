"""Replacing attributes so that the replacement can be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MISSING = object()


class Patches:
    """Attributes set on classes or modules, each remembered with what it replaced."""

    def __init__(self) -> None:
        self._saved: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        original = vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name, _MISSING)
        self._saved.append((owner, name, original))
        setattr(owner, name, value)

    def __len__(self) -> int:
        return len(self._saved)

    def undo(self) -> None:
        for owner, name, original in reversed(self._saved):
            if original is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._saved.clear()

    def undoer(self) -> Callable[[], None]:
        return self.undo
