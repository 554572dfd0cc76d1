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


# -- key_destinations: which configured URLs would expose which key -----------------------

from g2d_tui.services.transport_safety import KeyDestination, KeyNotSent, key_destinations  # noqa: E402
from g2d_tui.settings.model import Effective  # noqa: E402


def _resolved(**overrides) -> Effective:
    values = dict(gemini_api_key="AIzaX", gemini_base_url="", hf_token="hf_X", hf_base_url="https://router.huggingface.co",
                  hf_hub_url="https://huggingface.co")
    values.update(overrides)
    return Effective(**values)


def test_only_plain_http_to_another_machine_counts_and_only_for_the_key_it_would_get():
    resolved = _resolved(gemini_base_url="http://proxy.example:3128/x", hf_base_url="http://HF.example", hf_hub_url="http://hf.example:80/")
    assert key_destinations(resolved, "huggingface", chat=True) == [KeyDestination("gemini", "http://proxy.example:3128/x")]
    found = key_destinations(resolved, "huggingface", images=True)
    assert [(d.key, d.origin) for d in found] == [("huggingface", "http://hf.example:80")]  # router and hub: one server
    assert key_destinations(resolved, "huggingface", images=True, hf_provider="fal-ai") == [KeyDestination("huggingface", "http://HF.example")]
    assert [d.key for d in key_destinations(resolved, "gemini", images=True)] == ["gemini"]
    assert key_destinations(resolved, "a1111", images=True) == []
    assert key_destinations(resolved, "comfyui", images=True) == []


def test_no_key_no_exposure_and_loopback_or_https_is_safe():
    assert key_destinations(_resolved(gemini_api_key="", gemini_base_url="http://proxy.example"), "a1111", chat=True) == []
    assert key_destinations(_resolved(hf_token="", hf_base_url="http://hf.example"), "huggingface", images=True) == []
    assert key_destinations(_resolved(gemini_base_url="http://127.0.0.1:9"), "gemini", chat=True, images=True) == []
    assert key_destinations(_resolved(gemini_base_url="https://proxy.example"), "gemini", chat=True, images=True) == []


def test_the_refusal_names_the_server_but_not_the_path_or_its_controls():
    error = KeyNotSent(KeyDestination("gemini", "http://user:pw@Proxy.example:8080/secret\x1b]0;x\x07"))
    assert error.key == "transport.not_sent"
    assert error.params == {"url": "http://proxy.example:8080"}
    assert "pw" not in error.message() and "secret" not in error.message()
