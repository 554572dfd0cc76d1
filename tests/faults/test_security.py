"""Secrets and files: keys never shown or logged, only sent to their own host, private files.

The keys below are recognisable: every scan looks for the whole key and for the
``SECRET`` marker inside it, so even a truncated or re-wrapped copy is caught.
"""

from __future__ import annotations

import json
import logging
import re
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from textual.markup import MarkupError
from textual.widgets import Input, Static
from textual.worker_manager import WorkerManager

from g2d_tui.paths import config_path
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.widgets.image_card import ImageCard
from tests.fakes import gemini_server as fg
from tests.ui.helpers import entries
from tests.fakes import hf_server as fh
from tests.faults.helpers import (
    SIZE,
    FaultApp,
    card_status,
    clear_prompt,
    keyed_settings,
    make_app,
    notes,
    screen_text,
    send,
    settle,
    wait_until,
)
from tests.ui import helpers as ui_helpers

GEMINI_KEY = "AIza" + "SECRETgeminiKEY1234567890abcdefghij"  # fake; split so secret scanners skip it
HF_TOKEN = "hf_" + "SECRETtokenABCDEFGHIJKLMNOPQRSTUVWXYZ"  # fake, likewise
MARKERS = (GEMINI_KEY, HF_TOKEN, "SECRET", GEMINI_KEY[8:24], HF_TOKEN[8:24])


def leaks(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


class RecordingApp(FaultApp):
    """Keeps everything Textual's ``log`` was asked to write (devtools or not)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.textual_log: list[str] = []

    def _log(self, group, verbosity, _textual_calling_frame, *objects, **kwargs) -> None:
        self.textual_log.append(" ".join(map(str, objects)) + " " + " ".join(f"{k}={v}" for k, v in kwargs.items()))
        super()._log(group, verbosity, _textual_calling_frame, *objects, **kwargs)


class Recorder:
    """A loopback HTTP server that answers 200 to anything and remembers what it got."""

    def __init__(self, redirect_to: str | None = None) -> None:
        recorder = self
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers.items()), body))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to + self.path)
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _all_widget_text(app) -> str:
    """The rendered text of every Static-like widget on every screen of the stack."""
    parts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children():
            if isinstance(widget, Static):
                parts.append(str(widget.render()))
            parts.append(str(widget.border_title or ""))
            parts.append(str(widget.border_subtitle or ""))
    return "\n".join(parts)


async def test_keys_never_appear_on_screen_in_logs_or_files(fake_gemini, fake_hf, tmp_path, caplog, capsys, monkeypatch):
    # markdown-it traces every parser rule at DEBUG (tens of thousands of records of the
    # replies' Markdown, which never holds a key): keep that logger quiet so the test stays
    # fast. (set_level also sets the capture handler's level: DEBUG must come last.)
    caplog.set_level(logging.INFO, logger="markdown_it")
    caplog.set_level(logging.DEBUG)
    finished_workers = []
    original_remove = WorkerManager._remove_worker

    def remember_worker(self, worker):
        finished_workers.append(worker)
        original_remove(self, worker)

    monkeypatch.setattr(WorkerManager, "_remove_worker", remember_worker)
    folder = tmp_path / "pics"
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder, gemini_key=GEMINI_KEY, hf_token=HF_TOKEN)
    app = make_app(settings, app_class=RecordingApp)
    shots: list[tuple[str, str]] = []

    async def shoot(label: str) -> None:
        await settle(pilot)
        shots.append((label, screen_text(app)))
        shots.append((label + " widgets", _all_widget_text(app)))

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await shoot("start")
        # 1. a normal chat
        await send(pilot, "hello there")
        await shoot("chat")
        # 2. invalid key, 429, errors that echo the key (before and during the stream, and for /imagine)
        for behaviour, words in [
            (fg.Error.invalid_key(), "rejected the API key"),
            (fg.Error.rate_limited("19s"), "Try again in 19 s"),
            (fg.Error.make(400, "INVALID_ARGUMENT", f"bad key {GEMINI_KEY}"), "Gemini refused the request: bad key ••••"),
            (fg.ErrorMidStream(error_body=fg.Error.make(500, "INTERNAL", f"boom {GEMINI_KEY}").body), "boom ••••"),
        ]:
            fake_gemini.enqueue(behaviour, on="stream")
            clear_prompt(app)
            await send(pilot, "will fail")
            await settle(pilot)
            assert words in notes(app.screen), (words, notes(app.screen))
            await shoot(words)
        fake_gemini.enqueue(fg.Error.make(400, "INVALID_ARGUMENT", f"key {GEMINI_KEY} refused"), on="generate")
        clear_prompt(app)
        await send(pilot, "/imagine a key-echoing prompt step")
        await settle(pilot)
        assert "refused the request: key •••• refused" in card_status(app.screen.query(ImageCard).last())
        await shoot("generate echo")
        # 3. a good /imagine, then HF errors, one echoing the token
        clear_prompt(app)
        await send(pilot, "/imagine a red fox")
        await shoot("imagine")
        assert app.screen.query(ImageCard).last().saved_path is not None
        for behaviour, words in [
            (fh.Error(400, {"error": f"token {HF_TOKEN} bad"}), "Hugging Face refused the request: token •••• bad"),
            (fh.Error(422, {"error": [f"Authorization: Bearer {HF_TOKEN} malformed"]}), "Bearer •••• malformed"),
        ]:
            fake_hf.enqueue(behaviour)
            clear_prompt(app)
            await send(pilot, "/imagine a failing fox")
            await settle(pilot)
            status = card_status(app.screen.query(ImageCard).last())
            assert words in status, (words, status)
            await shoot(words)
        # 4. the settings screen: keys masked by default, top and bottom of the form
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        secret_inputs = [app.screen.query_one("#gemini--api-key", Input), app.screen.query_one("#images-huggingface--api-key", Input)]
        assert [field.value for field in secret_inputs] == [GEMINI_KEY, HF_TOKEN]
        assert all(field.password for field in secret_inputs)
        await shoot("settings")
        secret_inputs[1].focus()
        secret_inputs[1].scroll_visible(animate=False)
        await shoot("settings, token field")
        assert "••••" in shots[-2][1]  # the masked token is on screen
        # Control: the scan does see a key once the user asks to show them (ctrl+t).
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "SECRET" in screen_text(app)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert all(field.password for field in secret_inputs)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        # 5. the help screen too
        await pilot.press("f1")
        await shoot("help")
        await pilot.press("escape")
        await settle(pilot)
        notifications = [f"{n.title} {n.message}" for n in app._notifications]
        textual_log = list(app.textual_log)

    found = {label: leaks(text) for label, text in shots if leaks(text)}
    assert not found, found
    assert not [n for n in notifications if leaks(n)], notifications
    assert not leaks("\n".join(textual_log)), [line for line in textual_log if leaks(line)]
    log_text = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert not leaks(log_text), [line for line in log_text.splitlines() if leaks(line)]
    out, err = capsys.readouterr()
    assert not leaks(out) and not leaks(err), (leaks(out), leaks(err))
    failed = [w for w in finished_workers if w.error is not None]
    for worker in failed:
        assert not leaks(f"{worker.error!s} {worker.error!r} {worker.error.args!r}"), worker
    pngs = list(folder.glob("*.png"))
    assert len(pngs) == 1
    assert not leaks(pngs[0].read_bytes().decode("latin-1"))
    with Image.open(pngs[0]) as saved:
        assert not leaks(json.dumps(saved.text))
    # Everything the app wrote besides the settings file (which must hold the keys).
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != config_path():
            assert not leaks(path.read_bytes().decode("latin-1")), path


def test_snapshots_in_the_repo_show_no_keys():
    """The committed SVG snapshots were made with the ui helpers' fake keys: none may be readable."""
    snapshots = Path(__file__).parents[1] / "ui" / "__snapshots__"
    svgs = list(snapshots.rglob("*.svg"))
    assert svgs, "no snapshots found"
    settings = ui_helpers.keyed_settings()
    keys = [settings.gemini.api_key, settings.images.huggingface.api_key, GEMINI_KEY, HF_TOKEN, "SECRET"]
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        visible = html_text(text)
        for key in keys:
            assert key not in text and key not in visible, (svg.name, key)
            assert key[4:16] not in visible, (svg.name, key)


def html_text(svg: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_settings_file_and_backups_are_private(fake_gemini):
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[gemini]\napi_key = "AIzaOLD"\ntemperature = "hot"\n', encoding="utf-8")
    path.chmod(0o644)  # written by hand, world-readable
    app = make_app(environ={"GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        backups = list(path.parent.glob("config.toml.bak-*"))
        assert len(backups) == 1 and _mode(backups[0]) == 0o600
        # Save from the settings screen, with a new key typed in.
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        key = app.screen.query_one("#gemini--api-key", Input)
        key.value = GEMINI_KEY
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await wait_until(pilot, lambda: GEMINI_KEY in path.read_text(encoding="utf-8"), seconds=5)
    assert _mode(path) == 0o600
    assert _mode(backups[0]) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".config-")]
    # A save over the existing file (as make_app does on first run) is private too.
    config_path().unlink()
    make_app(keyed_settings(fake_gemini.base_url))
    assert _mode(config_path()) == 0o600


HOSTILE = [
    "../../../../tmp/evil /etc/passwd\x00\t",
    "..\\..\\Windows\\System32\\drivers ~/.ssh/authorized_keys $(rm -rf ~) `id`",
    "CON",
    "✨ . . . ✨",
    "x" * 300,
]


async def test_hostile_requests_always_save_inside_the_folder(fake_gemini, fake_hf, tmp_path):
    folder = tmp_path / "a" / "b" / "pics"
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for request in HOSTILE:
            await send(pilot, f"/imagine {request}")
        await settle(pilot)
        cards = [entry.run for entry in entries(app, "image")]  # not all of them have widgets
        assert [card.state for card in cards] == ["shown"] * len(HOSTILE), [card.status_key for card in cards]
        paths = [Path(card.saved[-1]) if card.saved else None for card in cards]
    assert all(path is not None and path.parent == folder for path in paths), paths
    from g2d_tui.paths import data_dir

    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != config_path() and data_dir() not in p.parents]
    assert sorted(files) == sorted(paths)
    for path in paths:
        assert re.fullmatch(r"\d{8}-\d{6}-[a-z0-9-]{1,48}(-\d+)?\.png", path.name), path.name
        assert path.resolve().parent == folder.resolve()
    names = " ".join(p.name for p in paths)
    assert "-con-image.png" in names  # a reserved device name is never used as is
    assert "-tmp-evil-etc-passwd.png" in names
    assert any(re.fullmatch(r"\d{8}-\d{6}-image(-\d+)?\.png", p.name) for p in paths)  # nothing usable left


async def test_each_key_is_sent_only_to_its_own_host(fake_gemini, fake_hf, tmp_path):
    settings = keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path, gemini_key=GEMINI_KEY, hf_token=HF_TOKEN)
    app = make_app(settings)
    assert fake_gemini.port != int(fake_hf.base_url.rsplit(":", 1)[1])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await send(pilot, "/imagine a fox")
        await settle(pilot)
    assert fake_gemini.requests and fake_hf.requests
    kinds = {("models" if r.method == "GET" else r.path.rsplit(":", 1)[-1]) for r in fake_gemini.requests}
    assert kinds == {"models", "streamGenerateContent", "generateContent"}
    for request in fake_gemini.requests:
        assert request.headers.get("x-goog-api-key") == GEMINI_KEY
        assert "authorization" not in request.headers
        blob = json.dumps([request.path, request.query, request.headers, request.json])
        assert HF_TOKEN not in blob and "hf_" not in blob
        assert blob.count(GEMINI_KEY) == 1  # only the header; never in the URL or body
    assert len(fake_hf.requests) == 1
    for request in fake_hf.requests:
        assert request.headers.get("authorization") == f"Bearer {HF_TOKEN}"
        assert "x-goog-api-key" not in request.headers
        blob = json.dumps([request.path, request.headers]) + request.body.decode("utf-8", "replace")
        assert GEMINI_KEY not in blob and "AIza" not in blob
        assert blob.count(HF_TOKEN) == 1


async def test_image_service_redirect_does_not_take_the_token_elsewhere(fake_gemini, fake_hf, tmp_path):
    with Recorder() as elsewhere:
        fake_hf.enqueue(fh.Redirect(location=f"{elsewhere.url}/models/stolen/model"))
        app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, tmp_path, hf_token=HF_TOKEN))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await send(pilot, "/imagine a fox")
            await settle(pilot)
            card = app.screen.query_one(ImageCard)
            assert card.state == "error"
            assert "Unexpected answer from the image service (HTTP 307)" in card_status(card)
        assert elsewhere.requests == []
    assert len(fake_hf.requests) == 1


async def test_gemini_redirect_does_not_take_the_key_elsewhere(tmp_path):
    """A proxy or endpoint answering 3xx to another host must not receive x-goog-api-key there."""
    with Recorder() as elsewhere, Recorder(redirect_to=elsewhere.url) as endpoint:
        app = make_app(keyed_settings(endpoint.url, gemini_key=GEMINI_KEY), gemini_timeout=5)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await send(pilot, "hello")
            await settle(pilot)
            assert app.screen.query_one("PromptInput").text == "hello"  # failed, text restored
            assert "Unexpected error while talking to Gemini: APIError 307" in notes(app.screen)
        assert endpoint.requests, "the app never called the endpoint"
        leaked = [headers for _, _, headers, body in elsewhere.requests if leaks(json.dumps(headers) + body.decode("latin-1"))]
        assert elsewhere.requests == [], leaked


# -- untrusted text must not be parsed as Textual markup --------------------------------
# Notifications render their message as markup by default (``notify(markup=True)``): text
# from servers, paths and what the user typed can break it ("[/]" raises MarkupError and
# the app exits) or restyle it. run_test(notifications=True) renders the toasts.

MARKUP = "[/] [b]bold[/b] [red]x"


class QuickCrashApp(FaultApp):
    """Dies on an unhandled error exactly like G2DApp, minus the printout.

    Textual renders the crash traceback with every frame's locals (widgets, compositor
    maps): 10-15 s of CPU here. The exception still ends the app and run_test re-raises it.
    """

    def _fatal_error(self) -> None:
        self._close_messages_no_wait()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None, markup: bool = True) -> None:
        """Toasts stay until the test has read them: on a busy machine the check can come
        after their usual few seconds."""
        super().notify(message, title=title, severity=severity, timeout=3600, markup=markup)


BOUND = 60.0
"""Seconds each step may take: generous for a busy machine, and still an end when the app
dies mid-render (Pilot calls would otherwise wait on it)."""


async def _markup_case(case: str, fake_gemini, fake_hf, tmp_path) -> tuple[FaultApp, str, str]:
    """(app, what to type, the literal text the toast must show)."""
    folder = tmp_path / "pics"
    if case in ("save-folder", "open-images-folder"):
        folder = tmp_path / f"pics {MARKUP}"
    app = make_app(keyed_settings(fake_gemini.base_url, fake_hf.base_url, folder), app_class=QuickCrashApp)
    if case == "gemini-error":
        fake_gemini.enqueue(fg.Error.bad_request(f"Invalid value at 'contents[0]' {MARKUP}"), on="stream")
        return app, "hi", MARKUP
    if case == "image-error":
        fake_hf.enqueue(fh.Error(422, {"error": f"bad parameters {MARKUP}"}))
        return app, "/imagine a fox", MARKUP
    if case == "unknown-command":
        return app, f"/{MARKUP}", "Unknown command /[/]."
    if case == "save-folder":
        return app, "/imagine a fox", MARKUP
    if case == "open-images-folder":
        return app, "key:ctrl+o", MARKUP
    raise AssertionError(case)




@pytest.mark.parametrize(
    "case",
    [
        "gemini-error",
        "image-error",
        "unknown-command",
        "save-folder",
        "open-images-folder",
    ],
)
async def test_untrusted_text_in_notifications_is_shown_literally(fake_gemini, fake_hf, tmp_path, case):
    import asyncio

    app, typed, literal = await _markup_case(case, fake_gemini, fake_hf, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        # Bounded: when the app dies mid-render, Pilot calls would otherwise wait ~15-30 s.
        if typed.startswith("key:"):
            await asyncio.wait_for(pilot.press(typed[4:]), BOUND)
        else:
            await asyncio.wait_for(send(pilot, typed), BOUND)
        await asyncio.wait_for(settle(pilot), BOUND)
        await asyncio.wait_for(pilot.pause(0.1), BOUND)
        if app._exception is not None:
            raise app._exception  # the app died (MarkupError): report that, not a later symptom
        assert app.is_running
        toasts = [n.message for n in app._notifications]
        assert any(literal in message for message in toasts), toasts
        shown = " ".join(screen_text(app).split())  # toasts wrap: compare with spaces collapsed
        for token in ("[/]", "[b]bold[/b]"):  # short tokens: long paths wrap differently per worker
            assert token in shown, shown
