"""How quickly the subcommands get going: Python's own start, ``--version``, and the time
from spawning ``g2d-tui ask`` / ``g2d-tui imagine`` to their first request reaching the
loopback fakes (which note each request's arrival time).

    python benchmarks/cli.py            # 9 rounds
    python benchmarks/cli.py --runs 5
    python benchmarks/cli.py --quick    # 2 rounds, for CI

Every round runs each command once, one after the other, so a slow spell on a shared
machine hits all of them alike; every round is printed, then the medians. One uncounted
round first writes the bytecode, as a user's first launch does.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO_ROOT, child_environ, ensure_repo_on_path, isolate, median  # noqa: E402

ensure_repo_on_path()


def g2d_command() -> list[str]:
    """The installed ``g2d-tui`` script next to this Python (what users run), else ``-m``."""
    script = Path(sys.executable).with_name("g2d-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "g2d_tui"]


def spawn_to_exit(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def spawn_to_request(command: list[str], env: dict[str, str], requests: Callable[[], list]) -> float:
    """Seconds from spawning ``command`` to the first new request in ``requests()``."""
    before = len(requests())
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed ({result.returncode}): {result.stderr[-1000:]}")
    arrived = requests()[before:]
    if not arrived:
        raise RuntimeError(f"{command} sent no request")
    return arrived[0].received_at - start


def main(argv: list[str] | None = None) -> int:
    from tests.fakes.gemini_server import FakeGemini
    from tests.fakes.hf_server import FakeHF, Png

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="measured rounds (default 9)")
    parser.add_argument("--quick", action="store_true", help="2 rounds: checks that it works")
    args = parser.parse_args(argv)
    runs = 2 if args.quick else max(1, args.runs)

    base = Path(tempfile.mkdtemp(prefix="g2d-cli-bench-"))
    try:
        isolate(base)
        with FakeGemini() as gemini, FakeHF(default=Png(64, 64)) as hf:
            from benchmarks.common import write_keyed_settings

            write_keyed_settings(gemini.base_url, hf.base_url, base / "pictures")
            env = child_environ()
            g2d = g2d_command()
            cases: list[tuple[str, Callable[[], float]]] = [
                ("python -c pass (to exit)", lambda: spawn_to_exit([sys.executable, "-c", "pass"], env)),
                ("g2d-tui --version (to exit)", lambda: spawn_to_exit([*g2d, "--version"], env)),
                ("ask: first request at Gemini", lambda: spawn_to_request([*g2d, "ask", "hi"], env, lambda: gemini.requests)),
                ("imagine: first request at Gemini", lambda: spawn_to_request([*g2d, "imagine", "a fox"], env, lambda: gemini.requests)),
                ("imagine --no-expand: first at images", lambda: spawn_to_request([*g2d, "imagine", "--no-expand", "a fox"], env, lambda: hf.requests)),
            ]
            for _, measure in cases:  # uncounted: bytecode, disk caches
                measure()
            results: dict[str, list[float]] = {name: [] for name, _ in cases}
            width = max(len(name) for name, _ in cases)
            for column, (name, _) in enumerate(cases, start=1):
                print(f"  [{column}] {name}")
            print(f"{'':10}" + "".join(f"{f'[{column}]':>9}" for column in range(1, len(cases) + 1)))
            for round_number in range(1, runs + 1):
                cells = []
                for name, measure in cases:
                    seconds = measure()
                    results[name].append(seconds)
                    cells.append(f"{seconds * 1000:6.0f} ms")
                print(f"round {round_number:>2}:" + "".join(f"{cell:>9}" for cell in cells))
            print()
            print(f"{'':<{width}}  {'median':>8}  {'min':>7}  {'max':>7}")
            for name, _ in cases:
                values = results[name]
                print(f"{name:<{width}}  {median(values) * 1000:6.0f} ms  {min(values) * 1000:4.0f} ms  {max(values) * 1000:4.0f} ms")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
