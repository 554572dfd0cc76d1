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
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from g2d_tui.services.errors import ServiceError

if TYPE_CHECKING:
    from g2d_tui.settings.model import Effective


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


# -- which requests would send a key in clear text ------------------------------------------


@dataclass(frozen=True)
class KeyDestination:
    """A server that would get a key over plain http: ``key`` is ``gemini`` (the Gemini API
    key) or ``huggingface`` (the Hugging Face token)."""

    key: str
    url: str

    @property
    def origin(self) -> str:
        """``http://host:port`` (lowercase host): what a user's "send anyway" is remembered by."""
        try:
            parts = urlsplit(self.url.strip())
            host = (parts.hostname or "").lower()
            port = parts.port or 80
        except ValueError:
            return self.url.strip().lower()
        return f"http://{host}:{port}"


def key_destinations(
    resolved: Effective, image_backend: str, *, hf_provider: str = "auto", chat: bool = False, images: bool = False
) -> list[KeyDestination]:
    """The servers a request would send a key to unencrypted (see :func:`key_exposed`).

    Args:
        resolved: the settings with the environment laid over them.
        image_backend: ``settings.images.backend``.
        chat: the request talks to Gemini (a message, the model list, an /imagine's prompt).
        images: the request draws (or lists) with ``image_backend``. A1111 and ComfyUI get
            no key, so their URLs never count.
        hf_provider: the Hugging Face provider; only ``auto`` asks the Hub (``hf_hub_url``).
    """
    candidates: list[KeyDestination] = []
    if (chat or (images and image_backend == "gemini")) and resolved.gemini_api_key:
        candidates.append(KeyDestination("gemini", resolved.gemini_base_url))
    if images and image_backend == "huggingface" and resolved.hf_token:
        candidates.append(KeyDestination("huggingface", resolved.hf_base_url))
        if hf_provider == "auto":
            candidates.append(KeyDestination("huggingface", resolved.hf_hub_url))
    found: list[KeyDestination] = []
    for destination in candidates:
        if key_exposed(destination.url) and all((d.key, d.origin) != (destination.key, destination.origin) for d in found):
            found.append(destination)
    return found


class KeyNotSent(ServiceError):
    """The user chose not to send a key unencrypted: the request was not made."""

    def __init__(self, destination: KeyDestination) -> None:
        from g2d_tui.services.sanitize import clean_line

        super().__init__("transport.not_sent", url=clean_line(destination.origin, 120))
        self.destination = destination
