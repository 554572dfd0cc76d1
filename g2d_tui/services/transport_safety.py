"""Would a key cross the network in clear text? Plain http is fine only to this machine.

A base URL may point at a proxy or a test server (``GOOGLE_GEMINI_BASE_URL``,
``G2D_HF_BASE_URL``, the settings). Over ``http://`` to another host, the key sent in a
header can be read by anyone on the way; the UI warns before sending it. Only a host
that surely is this machine counts as safe: ``localhost`` and the loopback addresses
(127.0.0.0/8, ::1, and ::ffff:127.x.y.z). Names such as ``127.1`` or ``box.localhost``,
which some resolvers send to loopback and others do not, count as other hosts.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` (with or without the final dot) and loopback IP addresses."""
    if not host:
        return False
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def key_exposed(url: str) -> bool:
    """True when a key sent to ``url`` would travel unencrypted to another machine.

    That is: the scheme is ``http`` (any case) and the host is not loopback. An empty URL
    (the official https endpoint) and https URLs are not exposed. A URL too broken to
    tell the host from is treated as exposed when its scheme is http.
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return text.lower().startswith("http:")
    if parts.scheme.lower() != "http":
        return False
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return True
    return not is_loopback_host(host)
