"""Textual's WebDriver with whole, unmixed packets on stdout (the browser mode).

textual-serve reads the app's stdout as packets: a type byte, a length, the payload.
Textual's WebDriver writes each packet with one ``os.write`` from two threads: the app's
writer thread (screen output) and its input thread (the chunks of a file the browser
downloads). A pipe write over 4 KiB is neither atomic nor always whole, so on a busy
machine a download chunk and a screen update got mixed, textual-serve read "More data
expected" and the download, and the session, broke. Here each packet goes out whole, one
at a time. (Seen on Textual 8.2.8; no upstream report found.)
"""

from __future__ import annotations

import os
import threading

from textual.driver import Driver


class PacketWriter:
    """Writes each packet whole to ``fileno``, one thread at a time."""

    def __init__(self, fileno: int) -> None:
        self.fileno = fileno
        self._lock = threading.Lock()

    def __call__(self, packet: bytes) -> None:
        view = memoryview(packet)
        with self._lock:
            while view:
                view = view[os.write(self.fileno, view) :]


def whole_packets(chosen: type[Driver]) -> type[Driver]:
    """``chosen`` (the driver Textual picked), or a WebDriver that writes whole packets when
    it is Textual's WebDriver (as textual-serve asks for)."""
    if chosen.__name__ != "WebDriver":
        return chosen  # in a terminal: nothing more is imported at start-up
    from textual.drivers.web_driver import WebDriver

    if chosen is not WebDriver:
        return chosen

    class WholePacketWebDriver(WebDriver):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._write = PacketWriter(self.fileno)  # what write, write_meta and write_binary_encoded call

    return WholePacketWebDriver
