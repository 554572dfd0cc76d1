"""The wheel ships styles and catalogues; the CLI answers; layers stay apart; google-genai loads lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from g2d_tui import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "g2d_tui"


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "g2d_tui", *args], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)


def test_version_flag():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"g2d-tui {__version__}"


def test_help_lists_the_flags():
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in ("--config", "--lang", "--version"):
        assert flag in result.stdout


def test_bad_flag_is_an_argparse_error():
    result = run_cli("--definitely-not-a-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_bad_language_is_refused():
    result = run_cli("--lang", "xx")
    assert result.returncode == 2


def test_wheel_contains_styles_and_catalogues(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("g2d_tui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for sheet in ("app.tcss", "chat.tcss", "settings.tcss", "conversations.tcss", "gallery.tcss"):
        assert f"g2d_tui/styles/{sheet}" in names
    for language in ("en", "pt-BR"):
        for catalogue in ("ui.toml", "gemini.toml", "images.toml", "cli.toml", "history.toml", "memory.toml"):
            assert f"g2d_tui/locales/{language}/{catalogue}" in names
    assert not any(name.startswith("tests/") for name in names)
    for fake in ("__main__", "gemini_server", "hf_server", "a1111_server", "comfyui_server", "gemini_image_server"):
        assert f"g2d_tui/devtools/fakes/{fake}.py" in names  # "try without keys" works from an installed app


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "module",
    sorted(
        str(path.relative_to(ROOT))
        for pattern in ("services/**/*.py", "settings/*.py", "slash.py", "i18n.py", "paths.py")
        for path in PACKAGE.glob(pattern)
    ),
)
def test_services_never_import_textual(module):
    assert not any(name == "textual" or name.startswith("textual.") for name in _imports(ROOT / module))


def test_ui_does_not_touch_network_or_disk_directly():
    """Screens and widgets reach HTTP and files only through services run in workers."""
    for path in [*PACKAGE.glob("screens/*.py"), *PACKAGE.glob("widgets/*.py")]:
        names = _imports(path)
        assert not names & {"httpx", "google.genai", "urllib.request", "shutil", "tomllib", "tomli_w"}, path


def test_startup_imports_neither_genai_nor_httpx():
    code = (
        "import sys\n"
        "from g2d_tui.app import G2DApp\n"
        "from g2d_tui.screens.chat import ChatScreen\n"
        "from g2d_tui.screens.settings import SettingsScreen\n"
        "print(sorted(m for m in ('google.genai', 'httpx', 'PIL.Image') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
