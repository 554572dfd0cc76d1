"""In-process scenarios, each run in its own child process by run.py (fresh memory, stdout not a tty).

``python -m benchmarks.scenarios stream|imagine [--chunks N] [--images N] [--renderer R] --out FILE``

The real app runs under ``App.run_test(size=(100, 40))`` (headless driver) against the loopback
fakes. ``FrameWatch`` wraps the app's ``_display`` so a frame counts only once the compositor has
rendered it (in headless mode the final conversion to escape codes and the write are skipped).
The fakes run in a child process (``benchmarks/fake_servers.py``), as a remote service would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import StallMonitor, ensure_repo_on_path, isolate, memory, write_keyed_settings  # noqa: E402

ensure_repo_on_path()


class FrameWatch:
    """Calls ``check()`` after every frame the app renders; records when it first returns True."""

    def __init__(self, app) -> None:
        self.app = app
        self.check = None
        self.error: Exception | None = None
        self.hit_at: float | None = None
        self.frames = 0
        self.last_frame_at = 0.0
        self._real = app._display
        app._display = self._display

    def _display(self, screen, renderable) -> None:
        self._real(screen, renderable)
        if renderable is None or self.app._batch_count:
            return
        self.frames += 1
        self.last_frame_at = time.perf_counter()
        if self.check is not None and self.hit_at is None:
            try:
                hit = self.check()
            except Exception as error:  # never break the app under test; report it from wait()
                self.error, self.check = error, None
                return
            if hit:
                self.hit_at = time.perf_counter()

    def arm(self, check) -> None:
        self.check, self.hit_at = check, None

    async def wait(self, timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while self.hit_at is None:
            if self.error is not None:
                raise RuntimeError("frame check failed") from self.error
            if time.perf_counter() > deadline:
                raise TimeoutError("the expected frame never came")
            await asyncio.sleep(0.002)
        return self.hit_at


def build_app(gemini_url: str, hf_url: str, save_dir: Path):
    """The app as the entry point makes it: tuned (unless ``G2D_TUI_NO_TUNING`` or
    ``G2D_TUI_TUNING_OFF`` say otherwise), without the terminal probe (headless: no terminal)."""
    from g2d_tui import tuning

    if tuning.wanted():
        tuning.apply(without={"terminal-probe"} | tuning.pieces_off())
    from g2d_tui.app import G2DApp
    from g2d_tui.settings.model import Environment

    store = write_keyed_settings(gemini_url, hf_url, save_dir)
    return G2DApp(store, store.load(), Environment.from_environ({}))


async def until_idle_with_models(app, pilot, timeout: float = 30) -> None:
    """Wait for the model list (its worker starts after the first frame, so waiting for the
    workers right away can come before it) and for the app to settle: the runs measure an
    app that is idle with its models loaded, not its start-up. Settled includes the one
    idle-time collection the model list's freeze asks for (``gc_policy.refreeze_when_idle``,
    2 s after the last input): left pending, it could start in the moment between the
    monitor's start and the first key, and its pass (150-300 ms) was then counted."""
    from g2d_tui.tuning import gc_policy

    deadline = time.perf_counter() + timeout
    while not app.chat_models or gc_policy.refreeze_due():
        if time.perf_counter() > deadline:
            raise TimeoutError("the model list never came, or the app never went idle")
        await pilot.pause(0.05)
    await app.screen.workers.wait_for_complete()
    await pilot.pause()


async def submit(pilot, text: str) -> None:
    from g2d_tui.widgets.prompt_input import PromptInput

    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.focus()
    prompt.load_text(text)
    await pilot.press("enter")


# -- streaming -------------------------------------------------------------------------


class running_in_terminal:
    """``async with running_in_terminal(app) as pilot``: the app on its real driver, drawing
    into the terminal this process runs in (a tmux pane), driven by a Pilot as in a test."""

    def __init__(self, app) -> None:
        self.app = app
        self.task: asyncio.Task | None = None

    async def __aenter__(self):
        from textual.pilot import Pilot

        self.task = asyncio.create_task(self.app.run_async())
        while not (self.app.is_running and self.app.screen.is_mounted):
            if self.task.done():
                raise RuntimeError("the app did not start in the terminal") from self.task.exception()
            await asyncio.sleep(0.01)
        return Pilot(self.app)

    async def __aexit__(self, *exc) -> None:
        self.app.exit()
        await self.task


async def stream(chunks: int, rate: float, workdir: Path, terminal: bool = False) -> dict:
    """One long streamed reply from the fake Gemini (run in a child process, like a remote service).
    ``terminal``: the app draws into this process's terminal (a tmux pane), escape codes and
    writes included, instead of the headless driver."""
    from textual.widgets import Markdown

    from benchmarks.fixtures import END_MARKER, long_markdown
    from g2d_tui.widgets.turns import GeminiReply

    full = "".join(long_markdown(chunks))
    stats_file = workdir / "stream-stats.json"
    served = ["--stream-chunks", str(chunks), "--rate", str(rate), "--stats", str(stats_file)]
    with remote_fakes(workdir, *served) as urls:
        app = build_app(urls["gemini"], "http://127.0.0.1:9", workdir / "pictures")
        async with (running_in_terminal(app) if terminal else app.run_test(size=(100, 40))) as pilot:
            await until_idle_with_models(app, pilot)
            watch, monitor = FrameWatch(app), StallMonitor()

            def final_text_shown() -> bool:
                replies = app.screen.query(GeminiReply)
                if not replies or replies.last().text != full:
                    return False
                blocks = replies.last().query_one(Markdown).children
                return bool(blocks) and END_MARKER in getattr(blocks[-1], "_content", "").plain

            watch.arm(final_text_shown)
            monitor.start()
            sent = time.perf_counter()
            await submit(pilot, "Explain everything, at length.")
            shown = await watch.wait(timeout=300)
            await app.screen.workers.wait_for_complete()
            await monitor.stop()
            reply = app.screen.query(GeminiReply).last()
            blocks = len(reply.query_one(Markdown).children)
            state = reply.state
        served_at = await wait_for_file(stats_file, timeout=30)
    last, first = served_at["last_chunk_at"], served_at["first_chunk_at"]
    return {
        "chunks": chunks, "rate": rate, "chars": len(full), "blocks": blocks, "state": state, "terminal": terminal,
        "chunks_written": served_at["chunks_written"],
        "max_stall": monitor.max_late, "stalls_over_50ms": monitor.over_50ms,
        "last_chunk_to_screen": shown - last,
        "total": shown - sent,
        "first_chunk_after": first - sent,
        "server_stream_time": last - first,
        "chunks_per_s": chunks / (shown - first),
    }


async def wait_for_file(path: Path, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never came")
        await asyncio.sleep(0.01)
    return json.loads(path.read_text())


# -- images ----------------------------------------------------------------------------


async def imagine(images: int, renderer: str, workdir: Path, keep_cards: bool = True) -> dict:
    """``images`` sequential /imagine runs; per run: backend return -> image on screen, and max stall.

    The fakes run in a child process (see ``benchmarks/fake_servers.py``).
    """
    from g2d_tui.widgets.image_card import ImageCard

    os.environ["G2D_TUI_IMAGE_RENDERER"] = renderer
    harness = memory()  # python + the benchmark modules, before the app
    runs: list[dict] = []
    with remote_fakes(workdir) as urls:
        app = build_app(urls["gemini"], urls["hf"], workdir / "pictures")
        async with app.run_test(size=(100, 40)) as pilot:
            await until_idle_with_models(app, pilot)
            baseline = memory()
            backend = app.image_backend
            real_generate, returned = backend.generate, {}

            async def generate(*args, on_progress=None, **kwargs):
                def progress(step):
                    if step.kind == "checking" and "bytes_at" not in returned:
                        returned["bytes_at"] = time.perf_counter()  # the response body is complete
                    if on_progress is not None:
                        on_progress(step)

                result = await real_generate(*args, on_progress=progress, **kwargs)
                returned["at"] = time.perf_counter()
                return result

            backend.generate = generate
            watch, monitor = FrameWatch(app), StallMonitor()
            monitor.start()
            for index in range(images):
                returned.clear()
                # Weakly: older cards leave the log as it scrolls, so the count of cards says
                # nothing, and a strong reference would keep them alive.
                before = weakref.WeakSet(app.screen.query(ImageCard))
                card_box: list[ImageCard] = []

                def image_shown() -> bool:
                    if not card_box:
                        new = [card for card in app.screen.query(ImageCard) if card not in before]
                        if not new:
                            return False
                        card_box.append(new[-1])
                    card = card_box[0]
                    if card.state != "shown":
                        return False
                    pictures = card.query(".card-image")
                    if not pictures or not getattr(pictures.first(), "drawn", True):  # Sixel/Kitty: data sent
                        return False
                    return pictures.first() in app.screen._compositor.visible_widgets

                watch.arm(image_shown)
                monitor.reset()
                sent = time.perf_counter()
                await submit(pilot, f"/imagine a lighthouse on a cliff at dusk, number {index + 1}")
                shown = await watch.wait(timeout=60)
                card = card_box[0]
                while card.saved_path is None and card.state != "error":
                    await asyncio.sleep(0.002)
                done = time.perf_counter()
                runs.append({
                    # The clock starts when the picture's bytes are in hand (checked and decoded after).
                    "receipt_to_screen": shown - returned.get("bytes_at", returned["at"]),
                    "checked_to_screen": shown - returned["at"], "max_stall": monitor.max_late,
                    "request_to_screen": shown - sent, "total": done - sent, "saved": card.saved_path is not None,
                    "rss_mb": memory().get("VmRSS", 0.0),
                })
            await monitor.stop()
            await pilot.pause(0.3)  # let timers and pending refreshes settle before reading memory
            after = memory()
            cards = len(app.screen.query(ImageCard))
            live = sum(1 for c in app.screen.query(ImageCard) if c.query(".card-image"))
    return {"renderer": renderer, "images": images, "runs": runs, "harness_memory": harness, "baseline_memory": baseline,
            "memory": after, "cards": cards, "live_pictures": live,
            "saved_files": len(list((workdir / "pictures").glob("*.png")))}


@contextmanager
def remote_fakes(workdir: Path, *options: str):
    """Start ``benchmarks.fake_servers`` (with ``options``) in a child process; yields its base URLs."""
    urls_file = workdir / "fake-urls.json"
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_servers", "--urls", str(urls_file), *options],
        cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not urls_file.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fake servers did not start")
            time.sleep(0.05)
        yield json.loads(urls_file.read_text())
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["stream", "imagine"])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=0.0, help="chunks per second; 0 = as fast as possible")
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--renderer", default="halfcell")
    parser.add_argument("--terminal", action="store_true", help="stream: draw into this terminal, not headless")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="g2d-bench-") as tmp:
        workdir = Path(tmp)
        isolate(workdir)  # private HOME/config/pictures, no real keys, even when run directly
        if args.scenario == "stream":
            result = asyncio.run(stream(args.chunks, args.rate, workdir, terminal=args.terminal))
        else:
            result = asyncio.run(imagine(args.images, args.renderer, workdir))
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
