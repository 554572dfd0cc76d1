"""A loopback fake of the AUTOMATIC1111 / Forge web UI API (``--api``).

Serves ``POST /sdapi/v1/txt2img`` (a gradient PNG, base64, with ``parameters``/``info``
like the real server, drawn in ``steps`` sampling steps of ``step_delay`` seconds),
``GET /sdapi/v1/progress``, ``POST /sdapi/v1/interrupt``, ``GET /sdapi/v1/sd-models``,
``GET /sdapi/v1/samplers`` and ``GET /sdapi/v1/options``. Script failures of the next
txt2img with ``fake.fail_next(status, body)``; ``fake.api_enabled = False`` answers 404
everywhere, as a web UI started without ``--api``. Standalone::

    python -m g2d_tui.devtools.fakes.a1111_server --port 7861
    G2D_A1111_URL=http://127.0.0.1:7861 g2d-tui     # and pick the a1111 backend in settings
"""

from __future__ import annotations

import base64
import collections
import io
import json
import threading
from typing import Any

from g2d_tui.devtools.fakes._http import FakeServer, JsonHandler, Recorded, run_by_hand
from g2d_tui.devtools.fakes.pictures import gradient

CHECKPOINTS = [
    {"title": "sd_xl_base_1.0.safetensors [31e35c80fc]", "model_name": "sd_xl_base_1.0", "hash": "31e35c80fc",
     "sha256": "31e35c80fc" + "0" * 54, "filename": "/models/Stable-diffusion/sd_xl_base_1.0.safetensors", "config": None},
    {"title": "dreamshaper_8.safetensors [879db523c3]", "model_name": "dreamshaper_8", "hash": "879db523c3",
     "sha256": "879db523c3" + "0" * 54, "filename": "/models/Stable-diffusion/dreamshaper_8.safetensors", "config": None},
]
SAMPLERS = [{"name": name, "aliases": [], "options": {}} for name in ("DPM++ 2M", "Euler a", "Euler", "DDIM")]


def picture(width: int, height: int, parameters: str) -> bytes:
    """A PNG the way A1111's API encodes it: with its infotext in a ``parameters`` chunk."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters)
    out = io.BytesIO()
    gradient(width, height, (60, 140, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


class FakeA1111(FakeServer):
    """The fake web UI. ``steps`` of the request times ``step_delay`` is how long a picture takes."""

    name = "fake-a1111"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, step_delay: float = 0.0) -> None:
        super().__init__(host, port)
        self.step_delay = step_delay
        self.api_enabled = True
        self.current_model = CHECKPOINTS[0]["title"]
        self.state = {"skipped": False, "interrupted": False, "job": "", "job_count": 0, "job_timestamp": "0",
                      "job_no": 0, "sampling_step": 0, "sampling_steps": 0}
        self.interrupted = threading.Event()
        self.started = threading.Event()
        """Set once a txt2img request began drawing."""
        self._failures: collections.deque[tuple[int, Any]] = collections.deque()

    def fail_next(self, status: int, body: Any) -> None:
        with self.lock:
            self._failures.append((status, body))

    def route(self, handler: JsonHandler, request: Recorded) -> None:
        if not self.api_enabled or not request.path.startswith("/sdapi/v1/"):
            return handler.send_json(404, {"detail": "Not Found"})
        endpoint = request.method, request.path.removeprefix("/sdapi/v1/")
        if endpoint == ("POST", "txt2img"):
            return self._txt2img(handler, request)
        if endpoint == ("GET", "progress"):
            with self.lock:
                state = dict(self.state)
            progress = state["sampling_step"] / state["sampling_steps"] if state["sampling_steps"] else 0
            return handler.send_json(200, {"progress": progress, "eta_relative": 1.0, "state": state, "current_image": None, "textinfo": None})
        if endpoint == ("POST", "interrupt"):
            self.interrupted.set()
            return handler.send_json(200, {})
        if endpoint == ("GET", "sd-models"):
            return handler.send_json(200, CHECKPOINTS)
        if endpoint == ("GET", "samplers"):
            return handler.send_json(200, SAMPLERS)
        if endpoint == ("GET", "options"):
            return handler.send_json(200, {"sd_model_checkpoint": self.current_model})
        return handler.send_json(404, {"detail": "Not Found"})

    def _txt2img(self, handler: JsonHandler, request: Recorded) -> None:
        with self.lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            return handler.send_json(*failure)
        body = request.json if isinstance(request.json, dict) else {}
        sampler = body.get("sampler_name") or "DPM++ 2M"
        if sampler not in [item["name"] for item in SAMPLERS]:
            return handler.send_json(404, {"error": "HTTPException", "detail": "Sampler not found", "body": "", "errors": ""})
        model = (body.get("override_settings") or {}).get("sd_model_checkpoint") or self.current_model
        steps, width, height = int(body.get("steps", 20)), int(body.get("width", 512)), int(body.get("height", 512))
        self.interrupted.clear()
        self.started.set()
        for step in range(1, steps + 1):
            with self.lock:
                self.state.update(job="txt2img", job_count=1, sampling_step=step, sampling_steps=steps)
            if self.step_delay and (self.stopping.wait(self.step_delay) or self.interrupted.is_set()):
                break
        with self.lock:
            self.state.update(job="", job_count=0, sampling_step=0, sampling_steps=0)
        seed = body.get("seed", -1)
        seed = seed if isinstance(seed, int) and seed >= 0 else 1234
        model_name = model.split(" [", 1)[0].rsplit(".", 1)[0]
        infotext = (
            f"{body.get('prompt', '')}\nNegative prompt: {body.get('negative_prompt', '')}\n"
            f"Steps: {steps}, Sampler: {sampler}, Schedule type: Karras, CFG scale: {body.get('cfg_scale', 7)}, Seed: {seed}, "
            f"Size: {width}x{height}, Model hash: 31e35c80fc, Model: {model_name}, Version: v1.10.1"
        )
        data = picture(min(width, 1024), min(height, 1024), infotext)
        info = {"prompt": body.get("prompt", ""), "all_prompts": [body.get("prompt", "")], "seed": seed, "all_seeds": [seed],
                "width": width, "height": height, "sampler_name": sampler, "cfg_scale": body.get("cfg_scale", 7),
                "steps": steps, "sd_model_name": model_name, "infotexts": [infotext]}
        handler.send_json(200, {"images": [base64.b64encode(data).decode()], "parameters": body, "info": json.dumps(info)})


def main(argv: list[str] | None = None) -> None:
    run_by_hand(
        argv,
        description="Fake AUTOMATIC1111 API for manual runs.",
        port=7861,
        step_delay=0.1,
        build=lambda args: FakeA1111(args.host, args.port, step_delay=args.step_delay),
        hint="G2D_A1111_URL={url} g2d-tui",
    )


if __name__ == "__main__":
    main()
