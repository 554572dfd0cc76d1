"""The loopback fakes of the /imagine benchmark, in their own process.

``python -m benchmarks.fake_servers --urls FILE`` starts FakeGemini (default answers) and
FakeHF (a photo-like 1024x1024 PNG per request), writes their base URLs to FILE as JSON and
serves until stdin closes. Run apart, their threads neither share the app's GIL nor count in
its RSS (with pytest, which tests.fakes imports, that was ~50 MB): a remote service has
neither effect on the real app either.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ensure_repo_on_path  # noqa: E402

ensure_repo_on_path()


def main(argv: list[str] | None = None) -> None:
    from benchmarks.fixtures import PhotoPng, photo_png, timed_gemini
    from tests.fakes.hf_server import FakeHF

    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", required=True, help="where to write the base URLs (JSON)")
    args = parser.parse_args(argv)
    photo_png()  # encode the test picture before announcing readiness
    with timed_gemini() as gemini, FakeHF(default=PhotoPng()) as hf:
        target = Path(args.urls)
        partial = target.with_suffix(".tmp")
        partial.write_text(json.dumps({"gemini": gemini.base_url, "hf": hf.base_url}))
        partial.replace(target)  # the parent polls for the file: it must appear whole
        sys.stdin.read()  # until the parent closes our stdin (or dies)


if __name__ == "__main__":
    main()
