"""Test data and instrumented fakes for the in-process benchmarks (no edits to the fakes in g2d_tui/devtools/fakes)."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import dataclass
from functools import cache

from tests.fakes import gemini_server, hf_server

END_MARKER = "zulu-omega-end."
"""The last word of the long reply: when the Markdown shows it, the whole reply is on screen."""

_WORDS = (
    "terminal widget render stream event loop latency frame layout compositor markdown parser token "
    "paragraph buffer socket request prompt model image pixel cache memory thread worker screen"
).split()


def long_markdown(chunks: int, words_per_chunk: int = 3) -> list[str]:
    """A long Gemini-like answer split into exactly ``chunks`` fragments of a few words.

    Sections with a heading, a paragraph with inline styles, a bullet list and a fenced code
    block, repeated; the final paragraph ends with :data:`END_MARKER`.
    """
    target_pieces = chunks * words_per_chunk
    parts: list[str] = []
    pieces = 0
    section = 0
    while pieces < target_pieces - 12:
        section += 1
        w = [_WORDS[(section * 7 + i) % len(_WORDS)] for i in range(40)]
        block = (
            f"## Section {section}: {w[0]} and {w[1]}\n\n"
            f"The **{w[2]}** keeps the `{w[3]}` close to the *{w[4]}*, so {' '.join(w[5:25])}. "
            f"Then {' '.join(w[25:40])}.\n\n"
            f"- First, check the {w[5]} {w[6]}\n"
            f"- Then measure **{w[7]}** with `{w[8]}()`\n"
            f"- Finally compare {w[9]} against {w[10]} and {w[11]}\n\n"
            f"```python\n"
            f"def {w[12]}_{section}({w[13]}, {w[14]}):\n"
            f"    total = {w[13]} + {w[14]} * {section}\n"
            f"    return [{w[15]} for {w[15]} in range(total) if {w[15]} % 3]\n"
            f"```\n\n"
        )
        parts.append(block)
        pieces += len(re.findall(r"\S+\s*|\s+", block))
    parts.append(f"That is the whole answer, and the last words are {END_MARKER}")
    return split_into("".join(parts), chunks)


def split_into(text: str, chunks: int) -> list[str]:
    """``text`` cut at word boundaries into exactly ``chunks`` non-empty fragments (if it has enough words)."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    if len(pieces) < chunks:
        raise ValueError(f"only {len(pieces)} words for {chunks} chunks")
    out, start = [], 0
    for i in range(chunks):
        end = round((i + 1) * len(pieces) / chunks)
        out.append("".join(pieces[start:end]))
        start = end
    return out


class TimedGeminiHandler(gemini_server._Handler):
    """Records when each SSE chunk has been written to the socket (``fake.chunk_times``)."""

    def _write_chunk(self, data: bytes) -> None:
        fake = self.server.fake
        if fake.rate:
            # Paced on an absolute schedule: GIL contention makes per-chunk sleeps drift.
            if fake.first_chunk_at is None:
                fake.schedule_start = time.perf_counter()
            due = fake.schedule_start + fake.chunks_written / fake.rate
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
        super()._write_chunk(data)
        now = time.perf_counter()
        if fake.first_chunk_at is None:
            fake.first_chunk_at = now
        fake.last_chunk_at = now
        fake.chunks_written += 1

    def _stream(self, *args, **kwargs) -> None:
        fake = self.server.fake
        if fake.per_reply:  # every reply paced from its own start (a long chat)
            fake.first_chunk_at, fake.chunks_written = None, 0
        super()._stream(*args, **kwargs)
        if fake.stats_path is not None:  # out of process: tell the benchmark when the chunks went out
            partial = fake.stats_path.with_suffix(".tmp")
            partial.write_text(json.dumps(chunk_times(fake)))
            partial.replace(fake.stats_path)


def timed_gemini(rate: float = 0.0, **kwargs) -> gemini_server.FakeGemini:
    """A :class:`FakeGemini` whose handler records chunk write times.

    ``rate`` > 0 streams at that many chunks per second; 0 writes as fast as the socket takes them.
    """
    fake = gemini_server.FakeGemini(**kwargs)
    fake._server.RequestHandlerClass = TimedGeminiHandler
    fake.rate = rate
    fake.first_chunk_at = fake.last_chunk_at = None
    fake.chunks_written = 0
    fake.stats_path = None
    fake.per_reply = False
    return fake


def chunk_times(fake: gemini_server.FakeGemini) -> dict:
    """When the first and last chunks were written (``time.perf_counter``: one clock for all processes on Linux)."""
    return {"first_chunk_at": fake.first_chunk_at, "last_chunk_at": fake.last_chunk_at,
            "chunks_written": fake.chunks_written}


@cache
def photo_png(width: int = 1024, height: int = 1024, seed: int = 7) -> bytes:
    """A photo-like PNG: smooth colour gradients plus grain, so it compresses (and decodes) like a render.

    Encoded once per size with zlib level 6 (Pillow's default), about 1.5-3 MB at 1024x1024.
    """
    from PIL import Image, ImageFilter

    gradient = hf_server.gradient(width, height, (180, 90, 60), seed)
    radial = Image.radial_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 48).filter(ImageFilter.GaussianBlur(0.6))
    base = Image.merge("RGB", (
        Image.blend(gradient.getchannel(0), grain, 0.35),
        Image.blend(gradient.getchannel(1), radial, 0.4),
        Image.blend(gradient.getchannel(2), grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.3),
    ))
    out = io.BytesIO()
    base.save(out, format="PNG", compress_level=6)
    return out.getvalue()


@dataclass(frozen=True)
class PhotoPng(hf_server.Behaviour):
    """200 image/png with :func:`photo_png` bytes (a fresh ``bytes`` copy, as a real download would be)."""

    width: int = 1024
    height: int = 1024

    def reply(self, request, fake):
        data = photo_png(self.width, self.height)
        return hf_server.Reply(200, "image/png", bytes(bytearray(data)))


def chat_reply(turn: int, chunks: int = 80) -> list[str]:
    """Gemini's answer of a long chat's turn ``turn``: about 2.4 KB of Markdown (a heading,
    paragraphs, a list, code) in ``chunks`` pieces, ending with :func:`turn_marker`."""
    w = [_WORDS[(turn * 5 + i) % len(_WORDS)] for i in range(60)]
    text = (
        f"## Turn {turn}: {w[0]} {w[1]}\n\n"
        f"The **{w[2]}** keeps the `{w[3]}` near the *{w[4]}*, so {' '.join(w[5:30])}. "
        f"Then {' '.join(w[30:50])}, and {' '.join(w[50:60])}.\n\n"
        f"- First, check the {w[5]} {w[6]} and the {w[7]} {w[8]}\n"
        f"- Then measure **{w[9]}** with `{w[10]}()` against {w[11]}\n"
        f"- Finally compare {w[12]} with {w[13]}, {w[14]} and {w[15]}\n\n"
        f"```python\ndef {w[16]}_{turn}({w[17]}, {w[18]}):\n    total = {w[17]} + {w[18]} * {turn}\n"
        f"    return [{w[19]} for {w[19]} in range(total) if {w[19]} % 3]\n```\n\n"
        f"{' '.join(w[20:60])}. {' '.join(w[0:40])}.\n\n"
        f"### Notes on {w[21]}\n\n1. {' '.join(w[22:36])}\n2. {' '.join(w[36:50])}\n3. {' '.join(w[50:60])}\n\n"
        f"> {' '.join(w[1:30])}.\n\n"
        f"{' '.join(w[10:55])}, which is all for now: {turn_marker(turn)}"
    )
    return split_into(text, chunks)


def turn_marker(turn: int) -> str:
    return f"end-of-turn-{turn}."
