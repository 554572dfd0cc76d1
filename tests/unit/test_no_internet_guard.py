"""The autouse guard of tests/conftest.py: loopback passes, anything else is refused and noted."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import _is_loopback


@pytest.mark.parametrize(
    "host", [None, "", "localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", b"127.0.0.1"]
)
def test_loopback_spellings_pass(host):
    assert _is_loopback(host)


@pytest.mark.parametrize("host", ["10.255.255.1", "example.com", "8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", b"example.com"])
def test_other_hosts_do_not(host):
    assert not _is_loopback(host)


async def test_names_and_bare_addresses_are_refused_and_noted(no_internet):
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://generativelanguage.googleapis.com/", timeout=2)
        with pytest.raises(httpx.ConnectError):  # digits are not looked up: the connection is checked
            await client.get("http://10.255.255.1:9/", timeout=2)
    with socket.socket() as sock, pytest.raises(socket.gaierror):
        sock.connect(("192.0.2.1", 80))
    assert no_internet == ["generativelanguage.googleapis.com", "10.255.255.1", "192.0.2.1"]
    no_internet.clear()  # refused as it should be: not a failure of this test


async def test_loopback_connections_go_through(no_internet, fake_gemini):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{fake_gemini.base_url}/v1beta/models", headers={"x-goog-api-key": "k"})
    assert response.status_code in (200, 401, 403)
    assert no_internet == []
