"""Child process of the cold-start benchmark: start an app in the real terminal driver, mark the first paint.

``python benchmarks/startup_runner.py hello|app``, run by ``cold_start.py`` in a pseudo-terminal.

Once the first screen is mounted (for the app: ``ChatScreen.on_mount`` finished, welcome notes
included), the runner waits for the next frame that ``App._display`` really writes to the driver,
then writes an OSC title sequence ``BENCH-PAINTED {json}`` through the driver's own writer thread,
so it reaches the terminal after that frame, and asks the app to exit (the parent kills it once the
marker is read). The parent measures spawn -> marker on the pty and checks the frame text came first.

``app`` goes through ``g2d_tui.__main__.main([])`` exactly like the ``g2d-tui`` command
(including the terminal graphics probe); a meta-path hook patches ``ChatScreen.on_mount`` when
that module is first imported, so the import order is the CLI's, and times the probe.
"""

from __future__ import annotations

import time

T_START = time.monotonic()

import importlib.abc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

MARK = "BENCH-PAINTED"
timings: dict[str, float] = {}


def _spawned_at() -> float:
    return float(os.environ.get("BENCH_SPAWNED_AT", T_START))


def mark_next_frame(app, screen) -> None:
    """Call :func:`mark_painted` right after the next frame of ``screen`` is written to the terminal."""
    real = app._display

    def display(shown, renderable) -> None:
        writes = renderable is not None and not app._batch_count and shown is app.screen is screen
        real(shown, renderable)
        if writes and app._display is display:
            app._display = real
            mark_painted(app)

    app._display = display
    screen.refresh()  # make sure a frame comes even if nothing else changes


def _rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def mark_painted(app) -> None:
    """Report, then quit."""
    timings["painted"] = time.monotonic() - _spawned_at()
    timings["interpreter"] = T_START - _spawned_at()
    timings["rss_mb"] = _rss_mb()
    screen = type(app.screen).__name__
    payload = json.dumps({"screen": screen, **timings})
    app._driver.write(f"\x1b]2;{MARK} {payload}\x07")
    app._driver.flush()
    app.exit()


class _Hook(importlib.abc.MetaPathFinder):
    """Runs ``after(module)`` right after the named modules are executed; times them."""

    def __init__(self, after: dict[str, object]) -> None:
        self.after = after

    def find_spec(self, name, path, target=None):
        if name not in self.after:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        run, after = spec.loader.exec_module, self.after.pop(name)

        def exec_module(module):
            start = time.monotonic()
            run(module)
            timings[f"import {name}"] = time.monotonic() - start
            if after is not None:
                after(module)

        spec.loader.exec_module = exec_module
        return spec


def _time_function(module, attr: str, label: str) -> None:
    real = getattr(module, attr)

    def timed(*args, **kwargs):
        start = time.monotonic()
        try:
            return real(*args, **kwargs)
        finally:
            timings[label] = time.monotonic() - start

    setattr(module, attr, timed)


def _stamp(label: str) -> None:
    timings[f"at {label}"] = time.monotonic() - _spawned_at()


def _patch_app(module) -> None:
    real_run, real_init = module.G2DApp.run, module.G2DApp.__init__

    def run(self, *args, **kwargs):
        _stamp("App.run")
        return real_run(self, *args, **kwargs)

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        _stamp("app built")

    module.G2DApp.run, module.G2DApp.__init__ = run, init


def _patch_probe(module) -> None:
    _time_function(module, "probe_stdio", "terminal probe")
    real = module.probe_stdio

    def probe_stdio():
        try:
            return real()
        finally:
            _stamp("probe done")

    module.probe_stdio = probe_stdio


def _patch_chat(module) -> None:
    real = module.ChatScreen.on_mount

    async def on_mount(self) -> None:
        _stamp("ChatScreen.on_mount")
        await real(self)
        _stamp("mounted")
        mark_next_frame(self.app, self)

    module.ChatScreen.on_mount = on_mount


def run_app() -> None:
    sys.meta_path.insert(0, _Hook({
        "g2d_tui.tuning.terminal_probe": _patch_probe,
        "g2d_tui.app": _patch_app,
        "g2d_tui.screens.chat": _patch_chat,
    }))
    from g2d_tui.__main__ import main

    _stamp("main")
    main([])


def run_hello() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Hello(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Hello")
            yield Footer()

        def on_mount(self) -> None:
            _stamp("mounted")
            mark_next_frame(self, self.screen)

    _stamp("imported")
    app = Hello()
    _stamp("App.run")
    app.run()


if __name__ == "__main__":
    {"hello": run_hello, "app": run_app}[sys.argv[1]]()
