"""Screens and widgets never import the app: the app imports them, and what they need of it
they reach as ``self.app`` or are handed when they open (the help screen's key groups)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import g2d_tui

PACKAGE = Path(g2d_tui.__file__).parent
UI_MODULES = sorted(
    "g2d_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    for folder in ("screens", "widgets")
    for path in (PACKAGE / folder).glob("*.py")
    if path.name != "__init__.py"
)


def _imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere: at the top, in functions, under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_ui_modules_are_found():
    assert "g2d_tui.screens.chat" in UI_MODULES and "g2d_tui.screens.help" in UI_MODULES
    assert "g2d_tui.widgets.chat_log" in UI_MODULES


def test_no_screen_or_widget_imports_the_app_anywhere_in_its_source():
    offenders = {
        module: sorted(name for name in _imports_of(PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")) if name == "g2d_tui.app")
        for module in UI_MODULES
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_importing_each_screen_and_widget_leaves_the_app_unimported():
    """In a fresh interpreter: after each import, ``g2d_tui.app`` is still not loaded."""
    script = (
        "import importlib, sys\n"
        f"for name in {UI_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'g2d_tui.app' in sys.modules:\n"
        "        print('IMPORTED-BY', name)\n"
        "        break\n"
        "else:\n"
        "    print('CLEAN', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CLEAN"), result.stdout
