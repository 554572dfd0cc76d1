"""The fakes ship with the app: they import without pytest and run with ``python -m``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

import pytest

FAKES = ["gemini_server", "hf_server", "a1111_server", "comfyui_server", "gemini_image_server", "__main__"]


def test_the_fakes_import_without_pytest_or_the_tests():
    code = (
        "import sys\n"
        + "".join(f"import g2d_tui.devtools.fakes.{name}\n" for name in FAKES)
        + "bad = sorted(m for m in sys.modules if m == 'pytest' or m.startswith(('pytest.', '_pytest', 'tests')))\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_fixtures_still_come_from_tests_fakes(fake_gemini, fake_hf):
    from g2d_tui.devtools.fakes.gemini_server import FakeGemini
    from g2d_tui.devtools.fakes.hf_server import FakeHF
    from tests.fakes.gemini_server import _Handler  # private names too (benchmarks subclass it)

    assert isinstance(fake_gemini, FakeGemini) and isinstance(fake_hf, FakeHF)
    assert _Handler.__module__ == "g2d_tui.devtools.fakes.gemini_server"


@pytest.fixture
def running_fakes():
    process = subprocess.Popen(
        [sys.executable, "-m", "g2d_tui.devtools.fakes", "--gemini-port", "0", "--hf-port", "0", "--image-delay", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        yield lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_python_m_runs_gemini_and_hugging_face_and_prints_the_app_command(running_fakes):
    command = running_fakes[1].strip()
    assert command.endswith(" g2d-tui") and "GEMINI_API_KEY=fake" in command and "HF_TOKEN=fake" in command
    env = dict(re.findall(r"(\w+)=(\S+)", command))
    gemini, hf = env["GOOGLE_GEMINI_BASE_URL"], env["G2D_HF_BASE_URL"]
    assert hf == env["G2D_HF_HUB_URL"] and gemini.startswith("http://127.0.0.1:") and hf.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{gemini}/v1beta/models?key=fake", timeout=10) as reply:
        assert json.load(reply)["models"]
    request = urllib.request.Request(
        f"{hf}/hf-inference/models/stabilityai/stable-diffusion-xl-base-1.0",
        data=json.dumps({"inputs": "a red kite"}).encode(), headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.read(8) == b"\x89PNG\r\n\x1a\n"
