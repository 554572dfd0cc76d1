"""The browser mode's packets on stdout: whole and unmixed, whatever the threads and the pipe do."""

from __future__ import annotations

import os
import struct
import threading

from textual.drivers.linux_driver import LinuxDriver
from textual.drivers.web_driver import WebDriver

from g2d_tui import web_driver
from g2d_tui.web_driver import PacketWriter, whole_packets


def _packet(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">I", len(payload)) + payload


def _read_packets(fileno: int) -> list[tuple[bytes, bytes]]:
    data = b""
    while chunk := os.read(fileno, 1 << 16):
        data += chunk
    packets, pos = [], 0
    while pos < len(data):
        kind, size = data[pos : pos + 1], struct.unpack_from(">I", data, pos + 1)[0]
        packets.append((kind, data[pos + 5 : pos + 5 + size]))
        pos += 5 + size
    assert pos == len(data)  # no torn packet at the end either
    return packets


def _start_reading(fileno: int) -> tuple[threading.Thread, list[tuple[bytes, bytes]]]:
    """A thread that reads packets from ``fileno`` until it closes, into the list returned."""
    received: list[tuple[bytes, bytes]] = []
    reader = threading.Thread(target=lambda: received.extend(_read_packets(fileno)))
    reader.start()
    return reader, received


def test_a_packet_cut_short_by_the_pipe_is_finished_not_lost(monkeypatch):
    real_write = os.write
    monkeypatch.setattr(web_driver.os, "write", lambda fd, data: real_write(fd, bytes(data[:1000])))
    read_end, write_end = os.pipe()
    payload = bytes(range(256)) * 40  # 10 KB: ten short writes
    reader, received = _start_reading(read_end)
    PacketWriter(write_end)(_packet(b"P", payload))
    os.close(write_end)
    reader.join(timeout=30)
    assert received == [(b"P", payload)]


def test_two_threads_writing_big_packets_never_mix_them():
    read_end, write_end = os.pipe()
    write = PacketWriter(write_end)
    reader, received = _start_reading(read_end)

    def writer(kind: bytes) -> None:
        for index in range(60):  # 20 KB each: far over the pipe's atomic 4 KiB
            write(_packet(kind, bytes([index]) * 20_000))

    writers = [threading.Thread(target=writer, args=(kind,)) for kind in (b"D", b"P")]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    os.close(write_end)
    reader.join(timeout=60)
    for kind in (b"D", b"P"):
        payloads = [payload for got, payload in received if got == kind]
        assert payloads == [bytes([index]) * 20_000 for index in range(60)]
    assert len(received) == 120


def test_only_textuals_web_driver_is_replaced():
    chosen = whole_packets(WebDriver)
    assert issubclass(chosen, WebDriver) and chosen is not WebDriver
    assert whole_packets(LinuxDriver) is LinuxDriver
