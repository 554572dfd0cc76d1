"""Build the app as __main__ does, against a private settings file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from g2d_tui.app import G2DApp
from g2d_tui.paths import config_path
from g2d_tui.settings.model import Environment, Settings
from g2d_tui.settings.store import SettingsStore
from tests.settings_helpers import keyed_settings  # noqa: F401 - the UI tests take it from here


def write_settings(settings: Settings, path: Path | None = None) -> SettingsStore:
    store = SettingsStore(path or config_path())
    store.save(settings)
    return store


def make_app(settings: Settings | None = None, environ: dict[str, str] | None = None) -> G2DApp:
    """A G2DApp reading ``config_path()`` (a tmp file, see conftest), optionally seeded with ``settings``."""
    store = SettingsStore(config_path())
    if settings is not None:
        store.save(settings)
    return G2DApp(store, store.load(), Environment.from_environ(environ or {}))


def no_blink(app: G2DApp) -> None:
    """Stop cursors blinking so screenshots are stable."""
    from textual.widgets import Input, TextArea

    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False


async def settings_ready(pilot) -> None:
    """Wait until the first-run settings screen is up and has focused its first field."""
    from g2d_tui.screens.settings import SettingsScreen

    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, SettingsScreen) and screen.focused is not None

    await until(pilot, ready, "the first-run settings with a focused field")
    await pilot.pause()


def quiet(app: G2DApp) -> None:
    """No blinking cursors and no toasts (their timeouts race the screenshot)."""
    no_blink(app)
    app.clear_notifications()


async def send(pilot, text: str) -> None:
    """Type ``text`` into the prompt and press Enter."""
    from g2d_tui.widgets.prompt_input import PromptInput

    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.focus()
    prompt.load_text(text)
    await pilot.press("enter")
    await pilot.pause()


async def settle(pilot, ceiling: float = 30.0) -> None:
    """Wait until the app is quiet: the chat's start-up work begun (it starts after the first
    frame), every worker done (replies, images, saves, the model list, history writes, and
    any they started), and the refresh after them."""
    import time

    from g2d_tui.screens.chat import ChatScreen

    app = pilot.app
    deadline = time.monotonic() + ceiling
    chat = next((screen for screen in app.screen_stack if isinstance(screen, ChatScreen)), None)
    while chat is not None and not chat.ready and time.monotonic() < deadline:
        await pilot.pause(0.01)
    while time.monotonic() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            break


CEILING = 30.0
"""Seconds a condition gets before a test gives up on it: generous, as a busy 2-core
machine can be many times slower than an idle one, and a test that passes waits far less."""


async def until(pilot, condition: Callable[[], object], what: str, *, seconds: float = CEILING) -> None:
    """Pause until ``condition()`` holds; fail saying ``what`` after ``seconds``."""
    import asyncio

    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + seconds
    while not condition():
        if loop_time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def poll_without_pilot(condition: Callable[[], object], *, seconds: float = CEILING, step: float = 0.01) -> bool:
    """Sleep in ``step``s until ``condition()`` holds; False after ``seconds``.

    For tests that must not have a Pilot wait running meanwhile: ``Pilot.pause`` first
    waits for every widget on screen to process its messages (holding a list of them all,
    and never returning while a worker keeps posting)."""
    import asyncio

    loop_time = asyncio.get_running_loop().time
    deadline = loop_time() + seconds
    while not condition():
        if loop_time() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def entries(app, role: str | None = None) -> list:
    """The chat log's entries (its data: widgets exist only for those near the view)."""
    return [entry for entry in app.screen.log_view.entries if role is None or entry.role == role]


def note_texts(app) -> str:
    """Every note of the log, as shown (translated now)."""
    from g2d_tui.i18n import t

    return "\n".join(t(entry.key, **entry.params) if entry.key else entry.turn.text for entry in entries(app, "note"))


async def widget_on_screen(pilot, entry):
    """Scroll ``entry`` into view and return its widget once it is mounted."""
    log = pilot.app.screen.log_view
    if log.widget_of(entry) is None:
        log.scroll_to_entry(entry)

    def mounted() -> bool:
        widget = log.widget_of(entry)
        return widget is not None and widget.is_mounted

    await until(pilot, mounted, f"a widget for the {entry.role} entry")
    return log.widget_of(entry)


class FakeClock:
    """Monotonic seconds that move only when the test says (``advance``)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def idle_events(app, monkeypatch, clock: FakeClock, *hook_events: str) -> tuple[list[str], list[bool]]:
    """Run ``app``'s idle watch on ``clock`` (checked every 20 ms) and record, in order, each
    ``idle`` announcement and each of ``hook_events``; also every idle check's answer.

    Returns:
        (the events, the answers): lists that fill as the app runs.
    """
    from g2d_tui import hooks
    from g2d_tui.idle import IdleWatch

    events: list[str] = []
    answers: list[bool] = []
    app.idle = IdleWatch(clock=clock)
    app.idle.check_every = 0.02
    is_idle = app.idle.is_idle
    app.idle.is_idle = lambda workers: answers.append(is_idle(workers)) or answers[-1]
    # A copy of the listeners, restored after the test: ours go away with it.
    monkeypatch.setattr(hooks, "_listeners", {event: list(listeners) for event, listeners in hooks._listeners.items()})
    for event in ("idle", *hook_events):
        hooks.listen(event, lambda event=event, **_details: events.append(event))
    return events, answers


async def idle_checks(pilot, answers: list[bool], count: int = 3) -> None:
    """Wait until the idle watch has answered ``count`` more times."""
    seen = len(answers)
    await until(pilot, lambda: len(answers) >= seen + count, f"{count} idle checks")
