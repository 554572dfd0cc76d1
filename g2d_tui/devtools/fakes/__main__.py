"""Run the fake Gemini API and the fake Hugging Face router together, for trying the app
without keys: ``python -m g2d_tui.devtools.fakes`` (ctrl+c stops them)."""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from g2d_tui.devtools.fakes.gemini_server import FakeGemini
from g2d_tui.devtools.fakes.hf_server import Default, FakeHF


def app_command(gemini_url: str, hf_url: str) -> str:
    """The shell command that runs g2d-tui against the fakes (any key is accepted)."""
    env = {
        "GEMINI_API_KEY": "fake",
        "HF_TOKEN": "fake",
        "GOOGLE_GEMINI_BASE_URL": gemini_url,
        "G2D_HF_BASE_URL": hf_url,
        "G2D_HF_HUB_URL": hf_url,
    }
    return " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items()) + " g2d-tui"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m g2d_tui.devtools.fakes",
        description="Run loopback fakes of Gemini and Hugging Face to try g2d-tui without keys.",
    )
    parser.add_argument("--gemini-port", type=int, default=8765)
    parser.add_argument("--hf-port", type=int, default=8766)
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between streamed reply chunks")
    parser.add_argument("--image-delay", type=float, default=1.5, help="seconds each picture takes")
    args = parser.parse_args(argv)
    try:
        gemini = FakeGemini(port=args.gemini_port, chunk_delay=args.chunk_delay).start()
    except OSError as error:
        parser.exit(1, f"Cannot listen on 127.0.0.1:{args.gemini_port}: {error.strerror} (try --gemini-port)\n")
    try:
        hf = FakeHF("127.0.0.1", args.hf_port, default=Default(delay=args.image_delay), require_auth=False).start()
    except OSError as error:
        gemini.stop()
        parser.exit(1, f"Cannot listen on 127.0.0.1:{args.hf_port}: {error.strerror} (try --hf-port)\n")
    print(f"Fake Gemini on {gemini.base_url}, fake Hugging Face on {hf.base_url}. In another terminal:", flush=True)
    print(f"  {app_command(gemini.base_url, hf.base_url)}", flush=True)
    print("ctrl+c stops them.", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hf.stop()
        gemini.stop()


if __name__ == "__main__":
    main()
