"""The Gemini API's wire shapes as the fake speaks them: recorded requests, response
chunks, SSE events, the default model list and the default answers."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any



@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    received_at: float = field(default_factory=time.perf_counter)
    """When it had been read (``time.perf_counter``): benchmarks time clients by it."""

    @property
    def turns(self) -> list[tuple[str, str]]:
        """``(role, text)`` of each content sent, texts of all parts joined."""
        return [
            (c.get("role", ""), "".join(p.get("text", "") for p in c.get("parts", [])))
            for c in (self.json or {}).get("contents", [])
        ]


def chunk_json(text: str | None = None, finish_reason: str | None = None, model: str = "fake") -> dict:
    """One GenerateContentResponse as the API sends it."""
    candidate: dict[str, Any] = {"index": 0}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8},
        "modelVersion": model,
    }


def sse_event(obj: dict) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\r\n\r\n"


DEFAULT_MODELS: list[dict] = [
    {"name": f"models/{name}", "displayName": display, "inputTokenLimit": inp, "outputTokenLimit": out,
     "supportedGenerationMethods": methods}
    for name, display, inp, out, methods in [
        ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, 65536, ["generateContent", "countTokens"]),
        ("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 65536, ["generateContent", "countTokens"]),
        ("text-embedding-004", "Text Embedding 004", 2048, 1, ["embedContent"]),
        ("gemini-flash-latest", "Gemini Flash Latest", 1048576, 65536, ["generateContent", "countTokens"]),
        ("gemini-3-pro-preview", "Gemini 3 Pro Preview", 1048576, 65536, ["generateContent", "countTokens"]),
        ("imagen-4.0-generate-001", "Imagen 4", 480, 8192, ["predict"]),
        ("gemini-3-flash-preview", "Gemini 3 Flash Preview", 1048576, 65536,
         ["generateContent", "countTokens", "createCachedContent"]),
    ]
]


def echo_markdown(turns: list[tuple[str, str]], model: str) -> str:
    """The default reply: proves the fake received the history and renders Markdown."""
    users = [text for role, text in turns if role == "user"]
    last = users[-1] if users else ""
    earlier = ", ".join(f"“{u}”" for u in users[:-1]) or "nothing yet"
    return (
        f"## Echo (turn {len(users)})\n\n"
        f"You said: **{last}**\n\n"
        f"- User turns received: {len(users)}\n"
        f"- Earlier you said: {earlier}\n"
        f"- Model: `{model}`\n\n"
        f"```python\nprint({last!r})\n```\n"
    )


def split_words(text: str, size: int = 3) -> list[str]:
    """Split ``text`` into streaming chunks of ``size`` words, keeping all whitespace."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    return ["".join(pieces[i:i + size]) for i in range(0, len(pieces), size)] or [text]


def default_image_prompt(request: str) -> dict:
    subject = request.strip() or "a lighthouse on a cliff"
    return {
        "prompt": f"{subject}, highly detailed, digital painting, dramatic soft lighting, "
                  "rule of thirds composition, sharp focus, masterpiece, best quality",
        "negative_prompt": "blurry, low quality, deformed, extra limbs, watermark, text",
    }
