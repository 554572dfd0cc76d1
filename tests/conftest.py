"""Shared fixtures: every test gets private config/data dirs and no real keys."""

from __future__ import annotations

import ipaddress
import socket

import pytest

pytest_plugins = [
    "tests.fakes.gemini_server",
    "tests.fakes.hf_server",
    "tests.fakes.a1111_server",
    "tests.fakes.comfyui_server",
    "tests.fakes.gemini_image_server",
]

_SECRET_VARS = (
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "HF_TOKEN", "GOOGLE_GEMINI_BASE_URL",
    "G2D_HF_BASE_URL", "G2D_HF_HUB_URL", "G2D_A1111_URL", "G2D_COMFYUI_URL",
)


@pytest.fixture(scope="session", autouse=True)
def runtime_tuning():
    """The app under test is tuned as the entry point tunes it (all but the terminal probe:
    no terminal here). ``G2D_TUI_NO_TUNING=1 python -m pytest`` runs the suite on stock Textual."""
    from g2d_tui import tuning

    if tuning.wanted():
        tuning.apply(without={"terminal-probe"} | tuning.pieces_off())
    yield
    tuning.remove()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point every config/data/pictures location at ``tmp_path`` and drop real keys."""
    for var in _SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("G2D_TUI_DATA", raising=False)
    monkeypatch.setenv("XDG_PICTURES_DIR", str(home / "Pictures"))
    monkeypatch.setenv("G2D_TUI_CONFIG", str(home / ".config" / "g2d-tui" / "config.toml"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    from g2d_tui import i18n

    i18n.set_language("en")
    yield home
    i18n.set_language("en")


def _is_loopback(host) -> bool:
    """True for this machine: None or "" (every local interface), localhost, 127/8 and ::1."""
    if host is None:
        return True
    name = (host.decode() if isinstance(host, bytes) else str(host)).lower().rstrip(".")
    if name in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])  # "%eth0": an IPv6 zone
    except ValueError:
        return False  # a name other than localhost
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any test whose code looks up or connects to a host other than loopback.

    The lookup or connection is refused, so the app meets a network error and may well
    carry on: the test is failed at teardown, where it cannot be swallowed. Connections
    are checked too, as an address given as digits is not looked up.
    """
    real_getaddrinfo, real_connect, real_connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex
    reached: list[str] = []

    def refuse(host) -> None:
        host = host.decode() if isinstance(host, bytes) else str(host)
        reached.append(host)
        raise socket.gaierror(socket.EAI_NONAME, f"tests must not reach {host}")

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def checked(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                refuse(address[0])
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", checked(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", checked(real_connect_ex))
    yield reached  # what was refused so far (a test of this guard clears it)
    assert not reached, f"the test tried to reach {sorted(set(reached))}; use a loopback fake"


@pytest.fixture(autouse=True)
def no_unexpected_failures(caplog):
    """A bug that the app caught to keep running (``errors.unexpected``) still fails the test."""
    import logging

    from g2d_tui.services.errors import UNEXPECTED_LOG

    caplog.set_level(logging.ERROR, logger=UNEXPECTED_LOG)
    yield
    bugs = [record for record in caplog.get_records("call") if record.name == UNEXPECTED_LOG]
    assert not bugs, "the app caught an unexpected failure:\n" + "\n".join(caplog.text.splitlines()[-40:])
