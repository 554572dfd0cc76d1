"""key_exposed: plain http only to this machine."""

from __future__ import annotations

import pytest

from g2d_tui.services.transport_safety import is_loopback_host, key_exposed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "http://127.8.9.10/v1",
        "http://localhost:8080/x",
        "http://localhost./x",
        "http://LOCALHOST:1",
        "HTTP://127.0.0.1",
        "Http://[::1]:8765/",
        "http://[::ffff:127.0.0.1]:80",
        "http://user:password@127.0.0.1:9/",
        "  http://127.0.0.1  ",
        "https://generativelanguage.googleapis.com",
        "HTTPS://example.com",
        "",
        "ftp://example.com",
        "example.com",  # no scheme: nothing the clients would send over http
    ],
)
def test_not_exposed(url):
    assert key_exposed(url) is False


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "HTTP://EXAMPLE.COM/v1",
        "http://10.0.0.5:8080",
        "http://192.168.1.2",
        "http://[::2]:80",
        "http://[::ffff:10.0.0.1]",
        "http://[fe80::1%25eth0]:80",
        "http://127.0.0.1@evil.example/",  # userinfo that looks like loopback
        "http://localhost:pass@evil.example",
        "http://localhost.evil.example",
        "http://box.localhost",  # not every resolver sends it to loopback
        "http://127.1",  # inet_aton would, ipaddress will not: counted as another host
        "http://0.0.0.0:80",
        "http://127.0.0.1:notaport",
        "http://[::1",
    ],
)
def test_exposed(url):
    assert key_exposed(url) is True


def test_loopback_hosts():
    assert is_loopback_host("[::1]") and is_loopback_host("127.0.0.1") and is_loopback_host("localhost.")
    assert not is_loopback_host(None) and not is_loopback_host("") and not is_loopback_host("::ffff:8.8.8.8")
