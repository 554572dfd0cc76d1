"""A loopback fake of Gemini's native image output, as the google-genai SDK calls it.

Serves ``POST /{version}/models/{model}:generateContent`` answering with an ``inlineData``
PNG (sized after ``imageConfig.aspectRatio``), and ``GET /{version}/models`` (a list with
image and chat models). So that the app runs against it alone, a generateContent that asks
for no picture gets an image-prompt JSON (what /imagine asks Gemini for first), and a chat
stream gets a short echo. Script the next answers with ``fake.enqueue(...)``: ``Picture``,
``Blocked`` (promptFeedback), ``Finish`` (a finishReason and no picture), ``Said`` (text
only), ``GeminiError`` (an HTTP error with a Google-style body), ``Hang``. Standalone::

    python -m g2d_tui.devtools.fakes.gemini_image_server --port 8767
    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8767 GEMINI_API_KEY=fake g2d-tui   # pick the gemini image backend
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import re
from dataclasses import dataclass
from typing import Any

from g2d_tui.devtools.fakes._http import FakeServer, JsonHandler, Recorded, serve_forever
from g2d_tui.devtools.fakes.gemini_wire import chunk_json, default_image_prompt, echo_markdown, split_words, sse_event
from g2d_tui.devtools.fakes.pictures import encode, gradient

_ROUTE = re.compile(r"^/(?P<version>v\w+)/models(?:/(?P<model>[^/:]+):(?P<action>\w+))?$")
MODELS = [
    {"name": "models/gemini-2.5-flash-image", "displayName": "Nano Banana", "supportedGenerationMethods": ["generateContent", "countTokens"]},
    {"name": "models/gemini-3-pro-image-preview", "displayName": "Nano Banana Pro", "supportedGenerationMethods": ["generateContent"]},
    {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash", "supportedGenerationMethods": ["generateContent"]},
    {"name": "models/imagen-4.0-generate-001", "displayName": "Imagen 4", "supportedGenerationMethods": ["predict"]},
]
SIZES = {"1:1": (64, 64), "16:9": (112, 63), "9:16": (63, 112), "3:2": (96, 64), "2:3": (64, 96), "4:3": (80, 60), "3:4": (60, 80)}


@dataclass(frozen=True)
class Picture:
    """A picture part (and, with ``thought_first``, a draft part marked as a thought before it)."""

    mime: str = "image/png"
    thought_first: bool = False


@dataclass(frozen=True)
class Blocked:
    reason: str = "SAFETY"


@dataclass(frozen=True)
class Finish:
    reason: str = "IMAGE_SAFETY"


@dataclass(frozen=True)
class Said:
    text: str = "I can't draw that, but here is a poem instead."


@dataclass(frozen=True)
class GeminiError:
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class Hang:
    seconds: float = 30.0


class FakeGeminiImage(FakeServer):
    name = "fake-gemini-image"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._queue: collections.deque[Any] = collections.deque()
        self.pictures: list[bytes] = []
        """Every picture sent, in order: tests compare them with what the app kept."""

    def enqueue(self, *behaviours: Any) -> None:
        with self.lock:
            self._queue.extend(behaviours)

    def generations(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith(":generateContent")]

    def route(self, handler: JsonHandler, request: Recorded) -> None:
        route = _ROUTE.match(request.path)
        if route is None:
            return handler.send_json(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
        if request.method == "GET" and route["model"] is None:
            return handler.send_json(200, {"models": MODELS})
        if request.method == "POST" and route["action"] == "streamGenerateContent":
            return _echo_stream(handler, request, route["model"])
        if request.method != "POST" or route["action"] != "generateContent":
            return handler.send_json(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
        config = (request.json or {}).get("generationConfig", {})
        if "IMAGE" not in (config.get("responseModalities") or []):
            user = [text for role, text in _turns(request) if role == "user"]
            text = json.dumps(default_image_prompt(user[-1] if user else ""))
            return handler.send_json(200, chunk_json(text, "STOP", route["model"]))
        with self.lock:
            behaviour = self._queue.popleft() if self._queue else Picture()
        if isinstance(behaviour, Hang):
            self.stopping.wait(behaviour.seconds)
            handler.close_connection = True
            return None
        if isinstance(behaviour, GeminiError):
            return handler.send_json(behaviour.status, {"error": {"code": behaviour.status, "message": behaviour.message, "status": behaviour.code}})
        if isinstance(behaviour, Blocked):
            return handler.send_json(200, {"promptFeedback": {"blockReason": behaviour.reason}, "modelVersion": route["model"]})
        if isinstance(behaviour, Finish):
            return handler.send_json(200, _response([], behaviour.reason, route["model"]))
        if isinstance(behaviour, Said):
            return handler.send_json(200, _response([{"text": behaviour.text}], "STOP", route["model"]))
        width, height = SIZES.get((config.get("imageConfig") or {}).get("aspectRatio", "1:1"), (64, 64))
        data = encode(gradient(width, height, (200, 160, 40)), "JPEG" if behaviour.mime == "image/jpeg" else "PNG")
        with self.lock:
            self.pictures.append(data)
        parts: list[dict[str, Any]] = [{"text": "Here is your picture."}]
        if behaviour.thought_first:
            draft = encode(gradient(8, 8), "PNG")
            parts.insert(0, {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(draft).decode()}, "thought": True})
        parts.append({"inlineData": {"mimeType": behaviour.mime, "data": base64.b64encode(data).decode()}})
        return handler.send_json(200, _response(parts, "STOP", route["model"]))


def _turns(request: Recorded) -> list[tuple[str, str]]:
    return [
        (content.get("role", ""), "".join(part.get("text", "") for part in content.get("parts", [])))
        for content in (request.json or {}).get("contents", [])
    ]


def _echo_stream(handler: JsonHandler, request: Recorded, model: str) -> None:
    """A chat reply as server-sent events, so the chat works against this fake too."""
    events = [chunk_json(text, None, model) for text in split_words(echo_markdown(_turns(request), model))]
    events[-1]["candidates"][0]["finishReason"] = "STOP"
    body = b"".join(sse_event(event) for event in events)
    handler.send_bytes(200, "text/event-stream", body)


def _response(parts: list[dict[str, Any]], finish: str, model: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0, "finishReason": finish}
    if parts:
        candidate["content"] = {"role": "model", "parts": parts}
    return {"candidates": [candidate], "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}, "modelVersion": model}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Gemini image output for manual runs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args(argv)
    serve_forever(FakeGeminiImage(args.host, args.port), "GOOGLE_GEMINI_BASE_URL={url} GEMINI_API_KEY=fake g2d-tui")


if __name__ == "__main__":
    main()
