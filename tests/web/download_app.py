"""A bare Textual app that offers one file to the browser as it starts (see test_web_server)."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App

from g2d_tui.downloads import offer_download
from g2d_tui.web_driver import whole_packets


class OfferingApp(App[None]):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def get_driver_class(self):
        return whole_packets(super().get_driver_class())  # as G2DApp does

    async def on_mount(self) -> None:
        await offer_download(self, self.path)


if __name__ == "__main__":
    OfferingApp(Path(sys.argv[1])).run()
