"""``g2d-tui serve``'s server: who may connect, the pages' addresses, and browser downloads.

In-process against textual-serve's real aiohttp application (loopback only); the
download goes through a real app process, textual-serve's protocol and HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import json
import shlex
import sys
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="textual-serve is not installed (pip install -e '.[web]')")

from aiohttp import ClientSession, web  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from g2d_tui.cli.serve import address, app_command, choose_token  # noqa: E402
from g2d_tui.cli.web_server import TOKEN_COOKIE, GuardedServer, is_loopback  # noqa: E402

TOKEN = "s3cret-token-for-tests"


async def client_for(server: GuardedServer) -> TestClient:
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def open_server():
    clients: list[TestClient] = []

    async def start(token: str | None = None, public_url: str | None = None) -> TestClient:
        client = await client_for(GuardedServer("true", "127.0.0.1", 8000, token=token, public_url=public_url))
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


# -- without a token: this machine only --------------------------------------------------


async def test_the_page_points_at_the_address_the_browser_used(open_server):
    client = await open_server()
    answer = await client.get("/")
    page = await answer.text()
    assert answer.status == 200
    origin = f"127.0.0.1:{client.port}"
    assert f'data-session-websocket-url="ws://{origin}/ws"' in page
    assert f'href="http://{origin}/static/css/xterm.css"' in page


async def test_a_foreign_host_name_is_refused(open_server):
    """A page whose name was pointed at 127.0.0.1 (DNS rebinding) gets nothing."""
    client = await open_server()
    answer = await client.get("/", headers={"Host": f"attacker.example:{client.port}"})
    assert answer.status == 403
    assert (await client.get("/", headers={"Host": f"localhost:{client.port}"})).status == 200


async def test_a_websocket_from_another_origin_is_refused(open_server):
    client = await open_server()
    answer = await client.get("/ws", headers={"Origin": "http://attacker.example"})
    assert answer.status == 403


# -- with a token ------------------------------------------------------------------------


async def test_without_the_token_nothing_is_served(open_server):
    client = await open_server(token=TOKEN)
    for path in ("/", "/static/js/textual.js", "/ws", "/download/anything"):
        assert (await client.get(path)).status == 401, path
    assert (await client.get("/?token=wrong")).status == 401


async def test_the_token_becomes_a_cookie_and_leaves_the_address(open_server):
    client = await open_server(token=TOKEN)
    answer = await client.get(f"/?fontsize=20&token={TOKEN}", allow_redirects=False)
    assert answer.status == 303
    assert answer.headers["Location"] == "/?fontsize=20"
    cookie = answer.cookies[TOKEN_COOKIE]
    assert cookie.value == TOKEN
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    client.session.cookie_jar.clear()  # from here on, only the cookies each request names
    headers = {"Cookie": f"{TOKEN_COOKIE}={TOKEN}"}
    assert (await client.get("/", headers=headers)).status == 200
    assert (await client.get("/static/js/textual.js", headers=headers)).status == 200
    assert (await client.get("/", headers={"Cookie": f"{TOKEN_COOKIE}=wrong"})).status == 401


async def test_with_a_token_any_host_name_may_connect(open_server):
    """Off this machine the browser uses the server's own name; the token is the guard."""
    client = await open_server(token=TOKEN)
    headers = {"Host": f"studio.lan:{client.port}", "Cookie": f"{TOKEN_COOKIE}={TOKEN}"}
    answer = await client.get("/", headers=headers)
    assert answer.status == 200
    assert f"ws://studio.lan:{client.port}/ws" in await answer.text()


async def test_behind_a_proxy_the_public_address_is_used(open_server):
    client = await open_server(token=TOKEN, public_url="https://example.org/")
    answer = await client.get("/", headers={"Cookie": f"{TOKEN_COOKIE}={TOKEN}"})
    assert 'data-session-websocket-url="wss://example.org/ws"' in await answer.text()


# -- the command's choices -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "host", "environ", "expected"),
    [
        (None, "127.0.0.1", {}, None),  # this machine only: no token unless asked for
        ("mine", "127.0.0.1", {}, "mine"),
        (None, "localhost", {"G2D_TUI_SERVE_TOKEN": "from-env"}, "from-env"),
        ("mine", "0.0.0.0", {"G2D_TUI_SERVE_TOKEN": "from-env"}, "mine"),
    ],
)
def test_token_choice(given, host, environ, expected):
    assert choose_token(given, host, environ) == expected


@pytest.mark.parametrize(("given", "host"), [("", "127.0.0.1"), (None, "0.0.0.0"), (None, "192.0.2.7"), (None, "::")])
def test_a_token_is_made_up_when_asked_for_or_reachable_from_elsewhere(given, host):
    first, second = choose_token(given, host, {}), choose_token(given, host, {})
    assert first and second and first != second and len(first) >= 32


def test_the_address_printed_carries_the_token():
    assert address("127.0.0.1", 8123, None, None) == "http://127.0.0.1:8123/"
    assert address("::1", 8123, None, "abc") == "http://[::1]:8123/?token=abc"
    assert address("0.0.0.0", 80, "https://example.org/g2d/", "abc") == "https://example.org/g2d/?token=abc"


def test_the_served_app_gets_the_same_settings_file_and_language(tmp_path):
    words = shlex.split(app_command(str(tmp_path / "my config.toml"), "pt-BR"))
    assert words == [sys.executable, "-m", "g2d_tui", "--config", str((tmp_path / "my config.toml").resolve()), "--lang", "pt-BR"]
    assert shlex.split(app_command(None, None)) == [sys.executable, "-m", "g2d_tui"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("localhost", True), ("[::1]", True), ("::1", True),
     ("0.0.0.0", False), ("", False), ("192.168.1.2", False), ("example.org", False), ("localhost.example", False)],
)
def test_loopback_names(host, loopback):
    assert is_loopback(host) is loopback


# -- downloads -----------------------------------------------------------------------------


async def test_offer_download_hands_the_file_to_the_browser(tmp_path, monkeypatch):
    """The real path: an app process calls offer_download, textual-serve tells the page,
    and the page's download URL serves the file."""
    from textual_serve.app_service import AppService

    # textual-serve never waits for the app processes it starts: the test does, so none is
    # left to be closed after this test's event loop (asyncio then complains).
    started = []
    open_app_process = AppService._open_app_process

    async def recorded(self, *args, **kwargs):
        started.append(await open_app_process(self, *args, **kwargs))
        return started[-1]

    monkeypatch.setattr(AppService, "_open_app_process", recorded)
    picture = tmp_path / "fox.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300)  # several chunks' worth
    command = shlex.join([sys.executable, str(Path(__file__).with_name("download_app.py")), str(picture)])
    server = GuardedServer(command, "127.0.0.1", 8000, token=None)
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    from websockets.asyncio.client import connect

    try:
        async with connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24", origin=origin, max_size=None) as browser:
            async with asyncio.timeout(90):
                key = None
                while key is None:
                    message = await browser.recv()
                    if isinstance(message, str):
                        kind, *payload = json.loads(message)
                        key = payload[0] if kind == "deliver_file_start" else None
            async with ClientSession() as http, http.get(f"{origin}/download/{key}") as answer:
                assert answer.status == 200
                assert answer.headers["Content-Type"] == "image/png"
                assert answer.headers["Content-Disposition"] == "attachment; filename=fox.png"
                assert await answer.read() == picture.read_bytes()
        for process in started:  # the page closed: its app quits
            await asyncio.wait_for(process.wait(), timeout=60)
    finally:
        await runner.cleanup()
        for process in started:
            if process.returncode is None:
                process.kill()
                await process.wait()
        started.clear()
        gc.collect()  # their transports are closed while the loop still runs


async def test_offer_download_does_nothing_in_a_terminal(tmp_path, isolated_home):
    from textual.app import App

    from g2d_tui.downloads import offer_download

    picture = tmp_path / "fox.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    async with App().run_test() as pilot:
        assert await offer_download(pilot.app, picture) is None
    assert not any(isolated_home.rglob("fox.png"))  # not copied to a Downloads folder
