"""Shared pieces of the fault-injection suite: a test app with short timeouts, Pilot helpers.

Short timeouts without touching app code: :class:`FaultApp` subclasses ``G2DApp`` and
overrides the two places where the app builds service configs — ``gemini_config()``
(returns ``GeminiConfig`` with ``timeout`` replaced) and the ``image_backend`` property
(the backend the app built gets its ``HFConfig`` swapped for one with a short
``read_timeout`` before its HTTP client exists). Everything else (settings, SDK,
httpx, widgets) is the real thing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from g2d_tui.app import G2DApp
from g2d_tui.paths import config_path
from g2d_tui.settings.model import Environment, Settings
from g2d_tui.settings.store import SettingsStore
from g2d_tui.widgets.image_card import ImageCard
from g2d_tui.widgets.prompt_input import PromptInput
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt
from tests.ui.helpers import send, settle  # noqa: F401  (re-exported for the fault tests)

SIZE = (100, 40)


class FaultApp(G2DApp):
    """G2DApp with optional short network timeouts (seconds); ``None`` keeps the app's own."""

    gemini_timeout: float | None = None
    hf_read_timeout: float | None = None

    def gemini_config(self):
        config = super().gemini_config()
        if self.gemini_timeout is not None:
            config = replace(config, timeout=self.gemini_timeout)
        return config

    @property
    def image_backend(self):
        backend = super().image_backend
        config = getattr(backend, "config", None)
        if self.hf_read_timeout is not None and config is not None and config.read_timeout != self.hf_read_timeout:
            backend.config = replace(config, read_timeout=self.hf_read_timeout)
        return backend


def make_app(
    settings: Settings | None = None,
    environ: dict[str, str] | None = None,
    *,
    gemini_timeout: float | None = None,
    hf_read_timeout: float | None = None,
    app_class: type[FaultApp] = FaultApp,
) -> FaultApp:
    """Like tests/ui/helpers.make_app, with the fault knobs."""
    store = SettingsStore(config_path())
    if settings is not None:
        store.save(settings)
    app = app_class(store, store.load(), Environment.from_environ(environ or {}))
    app.gemini_timeout = gemini_timeout
    app.hf_read_timeout = hf_read_timeout
    return app


def keyed_settings(
    gemini_url: str = "",
    hf_url: str = "",
    save_dir: Path | None = None,
    *,
    gemini_key: str = "AIzaFAKE-faults-key-0000",
    hf_token: str = "hf_FAKE_faults_token_0000",
) -> Settings:
    settings = Settings()
    settings.gemini.api_key = gemini_key
    settings.gemini.base_url = gemini_url
    hf = settings.images.huggingface
    hf.api_key = hf_token
    hf.provider = "hf-inference"  # no provider lookup: the pipeline, not the choice, is under test
    if hf_url:
        hf.base_url = hf.hub_url = hf_url
    if save_dir is not None:
        settings.images.save_dir = str(save_dir)
    settings.images.width, settings.images.height = 128, 96
    return settings


def config_bytes() -> bytes | None:
    path = config_path()
    return path.read_bytes() if path.is_file() else None


# -- driving the UI ---------------------------------------------------------------------


async def wait_until(pilot, predicate: Callable[[], bool], *, seconds: float = 10.0) -> bool:
    """Poll ``predicate`` between short pauses; False if it never became true."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


def notes(screen) -> str:
    """Every note of the log (its entries: not all have widgets), as shown now."""
    from tests.ui.helpers import note_texts

    return note_texts(screen.app)


def card_status(card: ImageCard) -> str:
    return str(card.query_one(".card-status").render())


def card_saved(card: ImageCard) -> str:
    return str(card.query_one(".card-saved").render())


def reply_status(reply: GeminiReply) -> str:
    return str(reply.query_one(".reply-status").render())


def prompt_text(app) -> str:
    return app.screen.query_one(PromptInput).text


def clear_prompt(app) -> None:
    app.screen.query_one(PromptInput).clear()


async def first_exchange(pilot, fake_gemini, text: str = "first question"):
    """One successful exchange, so the tests can check earlier turns survive a failure.
    Returns the user's and the reply's entries, and the reply's text."""
    from tests.fakes.gemini_server import Reply
    from tests.ui.helpers import entries

    fake_gemini.enqueue(Reply(chunks=["First ", "answer."]), on="stream")
    await send(pilot, text)
    await settle(pilot)
    user, reply = entries(pilot.app, "user")[-1], entries(pilot.app, "model")[-1]
    assert reply.turn.state == "complete", reply.turn
    assert reply.widget is not None and reply.widget.has_class("-done"), reply.widget
    return user, reply, reply.turn.text


def assert_earlier_intact(app, user, reply, reply_text: str) -> None:
    """The first exchange is still in the conversation, unchanged."""
    from tests.ui.helpers import entries

    users, replies = entries(app, "user"), entries(app, "model")
    assert users and users[0] is user and user.turn.state == "complete"
    assert replies and replies[0] is reply and reply.turn.state == "complete" and reply.turn.text == reply_text


async def assert_hello_works(pilot, fake_gemini):
    """The app still answers a normal message (a short canned reply keeps this cheap).

    Returns the request the fake recorded for "hello". It is looked up, not taken as the
    last one: a request that timed out earlier can still be recorded late by the fake's
    server thread when the machine is busy.
    """
    from tests.fakes.gemini_server import Reply

    clear_prompt(pilot.app)
    sent_before = len(fake_gemini.requests_to("stream"))
    fake_gemini.enqueue(Reply(chunks=["Hello ", "again!"]), on="stream")
    await send(pilot, "hello")
    await settle(pilot)
    from tests.ui.helpers import entries

    last = entries(pilot.app, "model")[-1]
    assert last.turn.state == "complete", last.turn
    assert last.turn.text == "Hello again!"
    assert last.widget is not None and last.widget.has_class("-done")  # the newest is on screen
    assert prompt_text(pilot.app) == ""
    sent = [r for r in fake_gemini.requests_to("stream")[sent_before:] if r.turns and r.turns[-1] == ("user", "hello")]
    assert len(sent) == 1, [r.turns[-1:] for r in fake_gemini.requests_to("stream")[sent_before:]]
    return sent[0]


# -- screenshots ------------------------------------------------------------------------

_SVG_TEXT = re.compile(r'<text\b[^>]*?\bx="([\d.]+)"[^>]*?\by="([\d.]+)"[^>]*>(.*?)</text>', re.DOTALL)


_CELL_WIDTH = 12.2  # Rich's SVG export: 12.2 px per terminal column


def svg_lines(svg: str) -> list[str]:
    """The visible text of an ``export_screenshot()`` SVG, one string per terminal row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, body in _SVG_TEXT.findall(svg):
        text = html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")
        rows.setdefault(float(y), []).append((float(x), text.rstrip("\n")))
    lines = []
    for _, cells in sorted(rows.items()):
        line = ""
        for x, text in sorted(cells):
            column = round(x / _CELL_WIDTH)
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    return lines


def screen_text(app) -> str:
    """What the terminal shows right now (the current screen, toasts included)."""
    return "\n".join(svg_lines(app.export_screenshot()))
