"""ComfyUI text-to-image: queue an API-format workflow, follow it, fetch the picture.

``POST {base_url}/prompt`` with ``{"prompt": <workflow>, "client_id": ...}`` queues the
built-in graph (:func:`comfy_workflow.builtin`) or the user's exported workflow with its
placeholders filled. Progress comes over the websocket ``/ws?clientId=`` (``progress``,
``executing``, ``execution_error``, ``execution_interrupted``...); when it cannot be
opened or drops, ``GET /history/{prompt_id}`` is polled instead. The picture comes from
``GET /view``; ComfyUI's SaveImage already put the workflow in its ``prompt``/``workflow``
text chunks. Escape removes the job from the queue, or interrupts it if it is running.
Shapes from comfyanonymous/ComfyUI ``server.py`` and ``execution.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from g2d_tui.services.images import comfy_workflow, defaults
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest, Progress, local_now
from g2d_tui.services.images.common import check_image_bytes, checked, concrete_seed, name, no_progress
from g2d_tui.services.images.transport import (
    MAX_IMAGE_BYTES,
    MESSAGE_LIMIT,
    Answer,
    Deadline,
    Transport,
    join,
    parse_json,
    ssl_context,
    stop_quietly,
)
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from g2d_tui.services.images.comfy_workflow import Workflow

MAX_SOCKET_MESSAGE = 32 * 1024 * 1024
"""Preview frames come over the socket too."""


@dataclass(frozen=True)
class ComfyUIConfig:
    """Connection settings of :class:`ComfyUIBackend`."""

    base_url: str = defaults.COMFYUI_URL
    workflow: str = ""
    """Path of an API-format workflow file with placeholders; empty = the built-in graph."""
    checkpoint: str = ""
    """For the built-in graph (and ``{{checkpoint}}``); empty = the first the server lists."""
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    """Total seconds for one HTTP exchange, body included."""
    job_timeout: float = 900.0
    """Total seconds from queueing the workflow to having its picture."""
    poll_interval: float = 1.0
    use_websocket: bool = True


class ComfyUIBackend:
    """Text-to-image on a ComfyUI server."""

    name = "comfyui"
    honours = defaults.REQUEST_FIELDS
    """All of them with the built-in graph; a custom workflow applies those it has placeholders for."""

    def __init__(self, config: ComfyUIConfig) -> None:
        self.config = config
        self.transport = Transport(connect_timeout=config.connect_timeout, unreachable=self._unreachable)
        self._checkpoints: list[str] | None = None

    def _unreachable(self, host: str) -> ImageError:
        return ImageError("images.comfyui_unreachable", url=name(self.config.base_url))

    def _url(self, path: str) -> str:
        return join(self.config.base_url, path)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def _call(self, method: str, path: str, **options: Any) -> Answer:
        options.setdefault("timeout", self.config.read_timeout)
        return await self.transport.request(method, self._url(path), **options)

    async def list_models(self) -> list[str]:
        """Checkpoint names the server's CheckpointLoaderSimple offers."""
        answer = await self._call("GET", "object_info/CheckpointLoaderSimple")
        if not answer.ok:
            raise self._status_error(answer)
        self._checkpoints = comfy_workflow.checkpoints_of(answer.json())
        return list(self._checkpoints)

    # -- generation ---------------------------------------------------------------------

    async def generate(self, request: ImageRequest, on_progress: Callable[[Progress], None] | None = None) -> GeneratedImage:
        """Queue the workflow for ``request``, follow it and fetch its picture.

        Raises:
            ImageError: ``images.comfyui_*``, ``images.workflow_*`` and the shared transport keys.
            asyncio.CancelledError: after removing or interrupting the job.
        """
        report = on_progress or no_progress
        seed = concrete_seed(request.seed)
        workflow = await self._workflow(request, seed)
        client_id = uuid.uuid4().hex
        deadline = Deadline(self.config.job_timeout)
        socket = await self._open_socket(client_id) if self.config.use_websocket else None
        prompt_id: str | None = None
        try:
            report(Progress("sending"))
            queueing = asyncio.ensure_future(self._queue(workflow, client_id))
            try:
                # Shielded: cancelled meanwhile, the job is queued all the same, and only
                # its id (in the answer) lets us take it out again.
                prompt_id = await asyncio.shield(queueing)
            except asyncio.CancelledError:
                await stop_quietly(lambda: self._cancel_when_queued(queueing))
                raise
            await self._report_queue(prompt_id, report)
            if socket is not None:
                await self._follow(socket, prompt_id, deadline, report)
            # Also after the socket said "done": ComfyUI records the history just after.
            entry = await self._wait_history(prompt_id, deadline, report)
            image = await self._fetch_image(entry, deadline, report)
        except asyncio.CancelledError:
            if prompt_id is not None:
                await stop_quietly(lambda: self._cancel(prompt_id))
            raise
        finally:
            if socket is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(socket.close(), 1.0)
        info = await checked(image, report)
        used = workflow.used
        return GeneratedImage(
            data=image, mime=info.mime, width=info.width, height=info.height,
            seed=seed if "seed" in used else -1, model=workflow.checkpoint, request=request, created=local_now(),
            preview=info.preview, backend=self.name, used=used,
            sampler=comfy_workflow.BUILTIN_SAMPLER if not self.config.workflow.strip() else "",
            service_texts=(("prompt", json.dumps(workflow.graph, ensure_ascii=False)),),
        )

    async def _queue(self, workflow: Workflow, client_id: str) -> str:
        """``POST /prompt``; the job's ``prompt_id``."""
        answer = await self._call("POST", "prompt", json_body={"prompt": workflow.graph, "client_id": client_id})
        if not answer.ok:
            raise self._rejection(answer)
        reply = answer.json()
        prompt_id = reply.get("prompt_id") if isinstance(reply, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise ImageError("images.bad_response", provider="ComfyUI")
        return prompt_id

    async def _cancel_when_queued(self, queueing: asyncio.Future[str]) -> None:
        try:
            prompt_id = await queueing
        except ImageError:
            return  # it was not queued
        await self._cancel(prompt_id)

    async def _workflow(self, request: ImageRequest, seed: int) -> Workflow:
        values: dict[str, Any] = {
            "prompt": request.prompt, "negative_prompt": request.negative_prompt, "seed": seed,
            "steps": int(request.steps), "cfg": float(request.guidance_scale),
            "width": int(request.width), "height": int(request.height),
            "checkpoint": self.config.checkpoint.strip(),
        }
        path = self.config.workflow.strip()
        if path:
            graph = await asyncio.to_thread(comfy_workflow.read, path)
            return comfy_workflow.fill(graph, values, path)
        values["checkpoint"] = await self._checkpoint(values["checkpoint"])
        return comfy_workflow.builtin(values["checkpoint"], values)

    async def _checkpoint(self, wanted: str) -> str:
        if self._checkpoints is None or (wanted and wanted not in self._checkpoints):
            await self.list_models()
        checkpoints = self._checkpoints or []
        if not checkpoints:
            raise ImageError("images.comfyui_no_checkpoints")
        if wanted and wanted not in checkpoints:
            raise ImageError("images.comfyui_checkpoint_missing", checkpoint=name(wanted))
        return wanted or checkpoints[0]

    # -- following the job --------------------------------------------------------------

    async def _open_socket(self, client_id: str) -> Any:
        """The progress websocket, or None when it cannot be opened (then history is polled)."""
        try:
            from websockets.asyncio.client import connect
        except ImportError:
            return None
        parts = urlsplit(self.config.base_url.strip())
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
        if scheme is None:
            return None
        path = parts.path.rstrip("/") + "/ws"
        url = urlunsplit((scheme, parts.netloc, path, f"clientId={client_id}", ""))
        options: dict[str, Any] = {"ssl": await asyncio.to_thread(ssl_context)} if scheme == "wss" else {}
        try:
            return await connect(
                url, open_timeout=self.config.connect_timeout, close_timeout=1.0, ping_interval=None,
                max_size=MAX_SOCKET_MESSAGE, compression=None, proxy=None, **options,
            )
        except Exception:  # noqa: BLE001 - refused, no websocket support, a proxy: polling still works
            return None

    async def _follow(self, socket: Any, prompt_id: str, deadline: Deadline, report: Callable[[Progress], None]) -> bool:
        """Report ``prompt_id``'s progress until it is done: True; False if the socket closed first.

        Raises:
            ImageError: the job failed or was interrupted on the server, or the deadline passed.
        """
        try:
            async with asyncio.timeout(deadline.remaining()):
                async for message in socket:
                    if not isinstance(message, str):
                        continue  # a preview frame
                    event = parse_json(message.encode())
                    kind = event.get("type") if isinstance(event, dict) else None
                    data = event.get("data") if isinstance(event, dict) else None
                    if not isinstance(data, dict) or data.get("prompt_id") != prompt_id:
                        continue
                    if kind == "execution_start":
                        report(Progress("running"))
                    elif kind == "progress":
                        _report_step(data, report)
                    elif kind in ("execution_error", "execution_interrupted"):
                        raise _failure(kind, data)
                    elif kind == "execution_success" or (kind == "executing" and data.get("node") is None):
                        return True
        except TimeoutError:
            raise ImageError("images.timeout", seconds=int(deadline.seconds)) from None
        except ImageError:
            raise
        except Exception:  # noqa: BLE001 - the socket dropped: history still knows
            return False
        return False

    async def _wait_history(self, prompt_id: str, deadline: Deadline, report: Callable[[Progress], None]) -> dict[str, Any]:
        """The job's history entry once it has finished (polling ``/history/{prompt_id}``)."""
        while True:
            entry = await self._history(prompt_id, deadline)
            if entry is not None:
                status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
                if status.get("status_str") == "error":
                    raise _history_failure(status)
                if status.get("completed", True) or entry.get("outputs"):
                    return entry
            else:
                await self._report_queue(prompt_id, report)
            deadline.check()
            await asyncio.sleep(min(self.config.poll_interval, deadline.remaining()))
            deadline.check()

    async def _history(self, prompt_id: str, deadline: Deadline) -> dict[str, Any] | None:
        answer = await self._call("GET", f"history/{prompt_id}", deadline=deadline)
        if not answer.ok:
            raise self._status_error(answer)
        payload = answer.json()
        entry = payload.get(prompt_id) if isinstance(payload, dict) else None
        return entry if isinstance(entry, dict) else None

    async def _report_queue(self, prompt_id: str, report: Callable[[Progress], None]) -> None:
        """Where the job stands in ComfyUI's queue; a courtesy, so failures are ignored."""
        try:
            answer = await self._call("GET", "queue", timeout=min(10.0, self.config.read_timeout))
        except ImageError:
            return
        queue = answer.json() if answer.ok else None
        if not isinstance(queue, dict):
            return
        running, pending = _ids(queue.get("queue_running")), _ids(queue.get("queue_pending"))
        if prompt_id in running:
            report(Progress("running"))
        elif prompt_id in pending:
            report(Progress("queued", position=pending.index(prompt_id) + 1))

    async def _fetch_image(self, entry: dict[str, Any], deadline: Deadline, report: Callable[[Progress], None]) -> bytes:
        picked = _pick_output(entry.get("outputs"))
        if picked is None:
            raise ImageError("images.comfyui_no_image")
        report(Progress("downloading"))
        answer = await self._call("GET", "view", params=picked, deadline=deadline, limit=MAX_IMAGE_BYTES)
        if not answer.ok:
            raise self._status_error(answer)
        check_image_bytes(answer.body, answer.mime)
        return answer.body

    async def _cancel(self, prompt_id: str) -> None:
        """Take the job out of the queue; interrupt it only if it is the one running (an
        interrupt stops whatever runs, possibly someone else's job)."""
        await self._call("POST", "queue", json_body={"delete": [prompt_id]}, timeout=2.0)
        answer = await self._call("GET", "queue", timeout=2.0)
        queue = answer.json() if answer.ok else None
        if isinstance(queue, dict) and prompt_id in _ids(queue.get("queue_running")):
            await self._call("POST", "interrupt", json_body={"prompt_id": prompt_id}, timeout=2.0)

    # -- errors -------------------------------------------------------------------------

    def _rejection(self, answer: Answer) -> ImageError:
        """A 400 from ``/prompt``: the workflow did not validate (a missing checkpoint, a bad value)."""
        payload = answer.json()
        if answer.status != 400 or not isinstance(payload, dict):
            return self._status_error(answer)
        parts: list[str] = []
        error = payload.get("error")
        if isinstance(error, dict):
            parts.append(str(error.get("message") or error.get("type") or ""))
        elif error:
            parts.append(str(error))
        node_errors = payload.get("node_errors")
        if isinstance(node_errors, dict):
            for node in node_errors.values():
                errors = node.get("errors") if isinstance(node, dict) else None
                if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                    first = errors[0]
                    parts.append(f"{node.get('class_type', '?')}: {first.get('message', '')} {first.get('details', '')}")
                    break
        message = clean_line(" — ".join(part.strip() for part in parts if part.strip()), MESSAGE_LIMIT)
        return ImageError("images.comfyui_rejected", message=message or "HTTP 400")

    def _status_error(self, answer: Answer) -> ImageError:
        if answer.status == 404:
            return ImageError("images.comfyui_not_found", url=name(self.config.base_url))
        if answer.status >= 500:
            return ImageError("images.server_error", code=answer.status)
        return ImageError("images.unexpected_status", code=answer.status)


def _report_step(data: dict[str, Any], report: Callable[[Progress], None]) -> None:
    value, maximum = data.get("value"), data.get("max")
    if isinstance(value, int) and isinstance(maximum, int) and maximum > 0:
        report(Progress("step", step=min(value, maximum), total=maximum))


def _failure(kind: str, data: dict[str, Any]) -> ImageError:
    if kind == "execution_interrupted":
        return ImageError("images.comfyui_interrupted")
    message = clean_line(str(data.get("exception_message") or data.get("exception_type") or "?"), MESSAGE_LIMIT)
    return ImageError("images.comfyui_failed", node=name(data.get("node_type") or data.get("node_id") or "?"), message=message)


def _history_failure(status: dict[str, Any]) -> ImageError:
    for item in status.get("messages") or []:
        if isinstance(item, list) and len(item) == 2 and item[0] in ("execution_error", "execution_interrupted"):
            if isinstance(item[1], dict):
                return _failure(item[0], item[1])
    return ImageError("images.comfyui_failed", node="?", message="?")


def _ids(items: object) -> list[str]:
    """Prompt ids of a ``/queue`` list (items are ``[number, prompt_id, prompt, extra, outputs]``), in queue order."""
    if not isinstance(items, list):
        return []
    queued = [item for item in items if isinstance(item, list) and len(item) > 1 and isinstance(item[1], str)]
    queued.sort(key=lambda item: item[0] if isinstance(item[0], (int, float)) else 0)
    return [item[1] for item in queued]


def _pick_output(outputs: object) -> dict[str, str] | None:
    """``filename``/``subfolder``/``type`` of the picture to fetch: a saved output first, else any."""
    if not isinstance(outputs, dict):
        return None
    found = []
    for output in outputs.values():
        images = output.get("images") if isinstance(output, dict) else None
        for image in images if isinstance(images, list) else []:
            if isinstance(image, dict) and isinstance(image.get("filename"), str) and image["filename"]:
                found.append({
                    "filename": image["filename"],
                    "subfolder": image.get("subfolder") if isinstance(image.get("subfolder"), str) else "",
                    "type": image.get("type") if isinstance(image.get("type"), str) else "output",
                })
    return next((item for item in found if item["type"] == "output"), found[0] if found else None)
