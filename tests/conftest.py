"""Shared fixtures: every test gets private config/data dirs and no real keys."""

from __future__ import annotations

import socket

import pytest

pytest_plugins = ["tests.fakes.gemini_server", "tests.fakes.hf_server"]

_SECRET_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "HF_TOKEN", "GOOGLE_GEMINI_BASE_URL", "G2D_HF_BASE_URL")


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


LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any test whose code looks up a host other than loopback (a real service).

    The lookup is refused, so the app meets a network error and may well carry on: the
    test is failed at teardown, where it cannot be swallowed.
    """
    real_getaddrinfo = socket.getaddrinfo
    reached: list[str] = []

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK_HOSTS:
            reached.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"tests must not reach {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert not reached, f"the test tried to reach {sorted(set(reached))}; use a loopback fake"
