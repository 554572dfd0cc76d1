"""The loopback fakes of the /imagine benchmark, in their own process.

``python -m benchmarks.fake_servers --urls FILE`` starts FakeGemini (default answers) and
FakeHF (a photo-like 1024x1024 PNG per request), writes their base URLs to FILE as JSON and
serves until stdin closes. With ``--stream-chunks N`` the first streamed reply is the long
Markdown answer of :func:`benchmarks.fixtures.long_markdown` in N chunks (``--rate`` per
second, 0 = as fast as the socket takes them); when it has been written, the chunk times
go to ``--stats FILE``. Run apart, their threads neither share the app's GIL nor count in
its RSS (with pytest, which tests.fakes imports, that was ~50 MB): a remote service has
neither effect on the real app either. For the same reason the process lowers its CPU
priority (``--nice``, 10 by default).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ensure_repo_on_path  # noqa: E402

ensure_repo_on_path()


def main(argv: list[str] | None = None) -> None:
    from benchmarks.fixtures import PhotoPng, chat_reply, long_markdown, photo_png, timed_gemini
    from tests.fakes.gemini_server import Reply
    from tests.fakes.hf_server import FakeHF

    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", required=True, help="where to write the base URLs (JSON)")
    parser.add_argument("--stream-chunks", type=int, default=0, help="serve the long reply in this many chunks")
    parser.add_argument("--rate", type=float, default=0.0, help="chunks per second of that reply; 0 = unpaced")
    parser.add_argument("--stats", type=Path, help="where to write its chunk times (JSON)")
    parser.add_argument("--chat-turns", type=int, default=0, help="serve this many long-chat replies (benchmarks.fixtures.chat_reply), each paced from its start")
    parser.add_argument("--nice", type=int, default=10, help="lower this process's CPU priority by this much (POSIX)")
    args = parser.parse_args(argv)
    if args.nice and hasattr(os, "nice"):
        # A remote service runs on another machine. Here it shares the CPUs: writing an
        # unpaced reply, it kept a core busy, and on a 2-CPU machine the app lost 10-20 ms
        # of a frame to it now and then. Niced, it still gets every idle moment.
        os.nice(args.nice)
    photo_png()  # encode the test picture before announcing readiness
    with timed_gemini(rate=args.rate) as gemini, FakeHF(default=PhotoPng()) as hf:
        if args.chat_turns:
            gemini.per_reply = True
            gemini.enqueue(*(Reply(chat_reply(turn)) for turn in range(args.chat_turns)), on="stream")
        if args.stream_chunks:
            gemini.enqueue(Reply(long_markdown(args.stream_chunks)), on="stream")
            gemini.stats_path = args.stats
        target = Path(args.urls)
        partial = target.with_suffix(".tmp")
        partial.write_text(json.dumps({"gemini": gemini.base_url, "hf": hf.base_url}))
        partial.replace(target)  # the parent polls for the file: it must appear whole
        sys.stdin.read()  # until the parent closes our stdin (or dies)


if __name__ == "__main__":
    main()
