"""Offer a saved file to the browser when the app runs under ``g2d-tui serve``.

In a browser the picture folder is on the server, out of the user's reach: a saved
picture is also handed to the browser as a download. Textual does the delivery
(``App.deliver_binary``: textual-serve gives the browser a one-time URL and the app
streams the file in chunks); in a terminal nothing happens, as the file is already
where the user keeps pictures (``deliver_binary`` would copy it to Downloads).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

PICTURE_DELIVERY = "picture"
"""``name`` of the delivery, as ``DeliveryComplete``/``DeliveryFailed`` events carry it."""


async def offer_download(app: App, path: Path, mime_type: str = "image/png") -> str | None:
    """Start a browser download of ``path`` when ``app`` runs in a browser.

    Returns:
        The delivery key, or None when the app is not in a browser.

    Raises:
        OSError: ``path`` cannot be opened.
    """
    if not app.is_web:
        return None
    # Opened off the event loop; Textual closes it once delivered (or the app exits).
    binary = await asyncio.to_thread(Path(path).open, "rb")
    return app.deliver_binary(binary, save_filename=Path(path).name, mime_type=mime_type, name=PICTURE_DELIVERY)
