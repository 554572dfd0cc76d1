"""A loopback fake of ComfyUI's server: queue, websocket progress, history, view.

Serves ``POST /prompt`` (validates checkpoints as ComfyUI does, answers ``prompt_id``),
``GET /ws?clientId=`` (a real websocket: ``status``, ``execution_start``, ``executing``,
``progress``, ``executed``, ``execution_success``, ``execution_error``,
``execution_interrupted``), ``GET /history/{id}``, ``GET /queue``, ``POST /queue``
(``delete``), ``POST /interrupt``, ``GET /view`` (a PNG with ``prompt``/``workflow`` text
chunks, as SaveImage writes) and ``GET /object_info/CheckpointLoaderSimple``.

One worker thread runs the queued jobs in order, ``step_delay`` seconds per sampling step.
Knobs: ``fake.paused`` (jobs wait in the queue), ``fake.fail_next(message)``,
``fake.websocket = False`` (no websocket: clients must poll history),
``fake.drop_socket_after_start = True`` (the socket closes once the job starts).
Standalone::

    python -m g2d_tui.devtools.fakes.comfyui_server --port 8189
    G2D_COMFYUI_URL=http://127.0.0.1:8189 g2d-tui     # and pick the comfyui backend in settings
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from g2d_tui.devtools.fakes._http import FakeServer, JsonHandler, Recorded, run_by_hand
from g2d_tui.devtools.fakes.pictures import gradient

CHECKPOINTS = ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"]
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Job:
    number: int
    prompt_id: str
    prompt: dict[str, Any]
    client_id: str
    failure: str | None = None


class Socket:
    """The server side of one websocket: text frames out, close/ping frames in."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.lock = threading.Lock()
        self.closed = False

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def close(self) -> None:
        self._send(0x8, struct.pack(">H", 1000))
        self.closed = True

    def _send(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            header = struct.pack(">BB", 0x80 | opcode, length)
        elif length < 65536:
            header = struct.pack(">BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, 127, length)
        with self.lock:
            if self.closed:
                return
            try:
                self.connection.sendall(header + payload)
            except OSError:
                self.closed = True

    def serve(self, stopping: threading.Event) -> None:
        """Read the client's frames until it closes (answering its close) or the server stops."""
        self.connection.settimeout(0.1)
        buffer = b""
        while not stopping.is_set() and not self.closed:
            try:
                data = self.connection.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            buffer += data
            while len(buffer) >= 2:
                opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    length, offset = struct.unpack(">H", buffer[2:4])[0], 4
                elif length == 127:
                    length, offset = struct.unpack(">Q", buffer[2:10])[0], 10
                masked = buffer[1] & 0x80
                end = offset + (4 if masked else 0) + length
                if len(buffer) < end:
                    break
                mask = buffer[offset : offset + 4] if masked else b"\0\0\0\0"
                payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(buffer[end - length : end]))
                buffer = buffer[end:]
                if opcode == 0x8:
                    self.close()
                    return
                if opcode == 0x9:
                    self._send(0xA, payload)
        self.closed = True


class ComfyHandler(JsonHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/ws") and self.headers.get("upgrade", "").lower() == "websocket" and self.server.fake.websocket:
            self._websocket()
        else:
            self._handle()

    def _websocket(self) -> None:
        fake: FakeComfyUI = self.server.fake
        client_id = self.path.partition("clientId=")[2].split("&", 1)[0] or uuid.uuid4().hex
        accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + _WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        sock = Socket(self.connection)
        with fake.lock:
            fake.sockets[client_id] = sock
        fake.send(client_id, "status", {"status": {"exec_info": {"queue_remaining": fake.queue_remaining()}}, "sid": client_id})
        sock.serve(fake.stopping)
        self.close_connection = True


class FakeComfyUI(FakeServer):
    name = "fake-comfyui"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, step_delay: float = 0.0) -> None:
        super().__init__(host, port)
        self.step_delay = step_delay
        self.checkpoints = list(CHECKPOINTS)
        self.new_combo_format = False
        self.websocket = True
        self.drop_socket_after_start = False
        self.paused = threading.Event()
        """While set, queued jobs wait (``/queue`` shows them pending)."""
        self.running_job = threading.Event()
        """Set while a job runs."""
        self.interrupted = threading.Event()
        self.sockets: dict[str, Socket] = {}
        self.history: dict[str, Any] = {}
        self.files: dict[str, bytes] = {}
        self.pending: list[Job] = []
        self.running: Job | None = None
        self._failures: list[str] = []
        self._numbers = itertools.count()
        self._wake = threading.Condition(self.lock)
        self._worker = threading.Thread(target=self._work, daemon=True, name="fake-comfyui-worker")

    def handler_class(self):
        return ComfyHandler

    def start(self) -> FakeComfyUI:
        super().start()
        self._worker.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self._wake:
            self._wake.notify_all()
        super().stop()

    def fail_next(self, message: str) -> None:
        with self.lock:
            self._failures.append(message)

    def queue_remaining(self) -> int:
        return len(self.pending) + (1 if self.running else 0)

    def send(self, client_id: str, kind: str, data: dict[str, Any]) -> None:
        sock = self.sockets.get(client_id)
        if sock is not None:
            sock.send_text(json.dumps({"type": kind, "data": data}))

    # -- HTTP -----------------------------------------------------------------------

    def route(self, handler: JsonHandler, request: Recorded) -> None:
        path, method = request.path, request.method
        if (method, path) == ("GET", "/object_info/CheckpointLoaderSimple"):
            spec = ["COMBO", {"options": self.checkpoints}] if self.new_combo_format else [self.checkpoints, {}]
            return handler.send_json(200, {"CheckpointLoaderSimple": {
                "input": {"required": {"ckpt_name": spec}}, "output": ["MODEL", "CLIP", "VAE"], "name": "CheckpointLoaderSimple"}})
        if (method, path) == ("POST", "/prompt"):
            return self._queue_prompt(handler, request)
        if method == "GET" and path.startswith("/history/"):
            with self.lock:
                entry = self.history.get(path.removeprefix("/history/"))
            return handler.send_json(200, {path.removeprefix("/history/"): entry} if entry else {})
        if (method, path) == ("GET", "/queue"):
            with self.lock:
                running = [self._item(self.running)] if self.running else []
                pending = [self._item(job) for job in self.pending]
            return handler.send_json(200, {"queue_running": running, "queue_pending": pending})
        if (method, path) == ("POST", "/queue"):
            doomed = set((request.json or {}).get("delete") or [])
            with self.lock:
                self.pending = [job for job in self.pending if job.prompt_id not in doomed]
            return handler.send_bytes(200, "text/plain", b"")
        if (method, path) == ("POST", "/interrupt"):
            self.interrupted.set()
            return handler.send_bytes(200, "text/plain", b"")
        if (method, path) == ("GET", "/view"):
            return self._view(handler, request)
        return handler.send_bytes(404, "text/plain", b"404: Not Found")

    @staticmethod
    def _item(job: Job) -> list[Any]:
        return [job.number, job.prompt_id, job.prompt, {"client_id": job.client_id}, ["9"]]

    def _queue_prompt(self, handler: JsonHandler, request: Recorded) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        prompt = body.get("prompt")
        if not isinstance(prompt, dict) or not prompt:
            return handler.send_json(400, {"error": {"type": "no_prompt", "message": "No prompt provided", "details": "", "extra_info": {}}, "node_errors": {}})
        for node_id, node in prompt.items():
            if node.get("class_type") == "CheckpointLoaderSimple" and node["inputs"].get("ckpt_name") not in self.checkpoints:
                name = node["inputs"].get("ckpt_name")
                return handler.send_json(400, {
                    "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                    "node_errors": {node_id: {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                                                          "details": f"ckpt_name: '{name}' not in {self.checkpoints}", "extra_info": {}}],
                                              "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}},
                })
        job = Job(next(self._numbers), str(uuid.uuid4()), prompt, str(body.get("client_id", "")))
        with self._wake:
            job.failure = self._failures.pop(0) if self._failures else None
            self.pending.append(job)
            self._wake.notify_all()
        handler.send_json(200, {"prompt_id": job.prompt_id, "number": job.number, "node_errors": {}})

    def _view(self, handler: JsonHandler, request: Recorded) -> None:
        with self.lock:
            data = self.files.get(request.query.get("filename", ""))
        if data is None or request.query.get("type") != "output":
            return handler.send_bytes(404, "text/plain", b"404: Not Found")
        handler.send_bytes(200, "image/png", data)

    # -- the worker -------------------------------------------------------------------

    def _work(self) -> None:
        while not self.stopping.is_set():
            with self._wake:
                while not self.stopping.is_set() and (not self.pending or self.paused.is_set()):
                    self._wake.wait(0.05)
                if self.stopping.is_set():
                    return
                job = self.pending.pop(0)
                self.running = job
            self.interrupted.clear()
            self.running_job.set()
            try:
                self._run(job)
            finally:
                with self.lock:
                    self.running = None
                self.running_job.clear()

    def _run(self, job: Job) -> None:
        cid, pid = job.client_id, job.prompt_id
        messages: list[list[Any]] = [["execution_start", {"prompt_id": pid, "timestamp": int(time.time() * 1000)}]]
        self.send(cid, "execution_start", messages[0][1])
        if self.drop_socket_after_start and cid in self.sockets:
            self.sockets.pop(cid).close()
        self.send(cid, "execution_cached", {"nodes": [], "prompt_id": pid})
        sampler = next((node_id for node_id, node in job.prompt.items() if node.get("class_type") == "KSampler"), "3")
        steps = job.prompt.get(sampler, {}).get("inputs", {}).get("steps", 3)
        steps = steps if isinstance(steps, int) and steps > 0 else 3
        self.send(cid, "executing", {"node": sampler, "display_node": sampler, "prompt_id": pid})
        for step in range(1, steps + 1):
            if self.step_delay and self.stopping.wait(self.step_delay):
                return
            if self.interrupted.is_set():
                data = {"prompt_id": pid, "node_id": sampler, "node_type": "KSampler", "executed": []}
                messages.append(["execution_interrupted", data])
                self._finish(job, "error", messages)
                self.send(cid, "execution_interrupted", data)
                return
            self.send(cid, "progress", {"value": step, "max": steps, "prompt_id": pid, "node": sampler})
        if job.failure:
            data = {"prompt_id": pid, "node_id": sampler, "node_type": "KSampler", "executed": [], "exception_message": job.failure,
                    "exception_type": "RuntimeError", "traceback": ["..."], "current_inputs": {}, "current_outputs": {}}
            messages.append(["execution_error", data])
            self._finish(job, "error", messages)
            self.send(cid, "execution_error", data)
            return
        width, height = _size(job.prompt)
        filename = f"g2d-tui_{job.number:05}_.png"
        with self.lock:
            self.files[filename] = _saved_png(width, height, job.prompt)
        output = {"images": [{"filename": filename, "subfolder": "", "type": "output"}]}
        self.send(cid, "executed", {"node": "9", "display_node": "9", "output": output, "prompt_id": pid})
        messages.append(["execution_success", {"prompt_id": pid, "timestamp": int(time.time() * 1000)}])
        self.send(cid, "execution_success", messages[-1][1])
        self._finish(job, "success", messages, {"9": output})
        self.send(cid, "executing", {"node": None, "prompt_id": pid})

    def _finish(self, job: Job, status: str, messages: list[list[Any]], outputs: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.history[job.prompt_id] = {
                "prompt": self._item(job), "outputs": outputs or {},
                "status": {"status_str": status, "completed": status == "success", "messages": messages},
                "meta": {},
            }


def _size(prompt: dict[str, Any]) -> tuple[int, int]:
    for node in prompt.values():
        inputs = node.get("inputs", {})
        if isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int):
            return max(8, min(inputs["width"], 1024)), max(8, min(inputs["height"], 1024))
    return 64, 64


def _saved_png(width: int, height: int, prompt: dict[str, Any]) -> bytes:
    """What SaveImage writes: the picture plus the graph in ``prompt`` and ``workflow`` text chunks."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps(prompt))
    info.add_text("workflow", json.dumps({"nodes": [], "links": [], "version": 0.4}))
    out = io.BytesIO()
    gradient(width, height, (120, 60, 180)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    run_by_hand(
        argv,
        description="Fake ComfyUI server for manual runs.",
        port=8189,
        step_delay=0.1,
        build=lambda args: FakeComfyUI(args.host, args.port, step_delay=args.step_delay),
        hint="G2D_COMFYUI_URL={url} g2d-tui",
    )


if __name__ == "__main__":
    main()
