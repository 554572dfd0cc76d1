"""Shared pieces of the history tests: stores at every schema version, sample records, PNGs."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from g2d_tui.conversation import Conversation, Picture, Turn
from g2d_tui.services.history.schema import MIGRATIONS, apply

BRT = timezone(timedelta(hours=-3))  # not UTC, so time zone handling is exercised
T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=BRT)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sample_picture(path: str = "/pictures/fox.png", **fields) -> Picture:
    values = dict(
        path=path, prompt="photo of a red fox in the snow, golden hour", negative_prompt="blurry, lowres",
        seed=1234, steps=30, guidance_scale=7.5, width=1024, height=768, model="stabilityai/sdxl",
        backend="huggingface", provider="hf-inference", request="a red fox in the snow", sha256="ab" * 32,
        file_size=123456, created=at(3),
    )
    values.update(fields)
    return Picture(**values)


# -- historical schema versions ---------------------------------------------------------
# Each released version is built from the migration steps before it (the steps are frozen:
# see test_released_steps_are_frozen) and filled with raw SQL, as that version's code would.

OLD_DATA = {
    "conversation": (1, "Foxes in winter", "gemini-2.5-flash", "2025-03-04T08:06:07.000000Z", "2025-03-04T08:10:00.000000Z"),
    "turns": [
        (1, 1, 0, "user", "Tell me about foxes", "complete", "", None, None, "", "2025-03-04T08:06:07.000000Z"),
        (2, 1, 1, "model", "Foxes grow a thick winter coat called brumation fur", "complete", "gemini-2.5-flash",
         12, 40, "", "2025-03-04T08:07:00.000000Z"),
        (3, 1, 2, "image", "a red fox in the snow", "complete", "", None, None, "", "2025-03-04T08:10:00.000000Z"),
    ],
    "picture": (1, "/pictures/fox.png", "cd" * 32, 2048, 512, 512, "photo of a red fox, snow", "blurry", "18446744073709551615",
                30, 7.0, "sdxl", "huggingface", "", "a red fox in the snow", None, 1, 3, "2025-03-04T08:10:00.000000Z"),
}


def create_version(path: Path, version: int) -> None:
    """A store file at schema ``version`` (1..SCHEMA_VERSION) holding :data:`OLD_DATA`."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    apply(db, MIGRATIONS[:version], 0)
    db.execute("INSERT INTO conversations(id, title, model, created, updated) VALUES (?, ?, ?, ?, ?)", OLD_DATA["conversation"])
    db.executemany(
        "INSERT INTO turns(id, conversation_id, seq, role, text, state, model, tokens_in, tokens_out, detail, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_DATA["turns"],
    )
    db.execute(
        "INSERT INTO pictures(id, path, sha256, file_size, width, height, prompt, negative_prompt, seed, steps,"
        " guidance_scale, model, backend, provider, request, parent_id, conversation_id, turn_id, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_DATA["picture"],
    )
    db.execute("COMMIT")
    db.close()


# -- PNG files --------------------------------------------------------------------------


def png(
    width: int = 24, height: int = 16, texts: dict[str, str] | None = None, mode: str = "RGB", itxt: bool = False, ztxt: bool = False,
) -> bytes:
    """A small PNG with the given text chunks (tEXt, or iTXt/zTXt when asked)."""
    from PIL import Image, PngImagePlugin

    image = Image.new(mode, (width, height), (200, 80, 40, 255)[: len(mode)] if mode != "L" else 128)
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        if itxt:
            info.add_itxt(key, value, zip=ztxt)
        else:
            info.add_text(key, value, zip=ztxt)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


A1111_PARAMETERS = (
    "masterpiece, a red fox in the snow,\n(golden hour:1.2), detailed fur\n"
    "Negative prompt: blurry, lowres,\nbad anatomy\n"
    'Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 3141592653, Size: 832x1216, '
    'Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "fox: 1a2b, snow: 3c4d", Version: v1.6.0'
)


def comfy_prompt() -> str:
    """A ComfyUI API graph: checkpoint -> LoRA -> KSampler, prompts through a combine node."""
    graph = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "dreamshaper_8.safetensors"}},
        "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "fox.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 768, "height": 512, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in the snow", "clip": ["10", 1]}},
        "11": {"class_type": "CLIPTextEncode", "inputs": {"text": "golden hour", "clip": ["10", 1]}},
        "12": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["11", 0]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, watermark", "clip": ["10", 1]}},
        "20": {"class_type": "PrimitiveNode", "inputs": {"value": 18446744073709551615}},
        "3": {"class_type": "KSampler", "inputs": {
            "seed": ["20", 0], "steps": 25, "cfg": 5.5, "sampler_name": "euler", "scheduler": "normal",
            "denoise": 1, "model": ["10", 0], "positive": ["12", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }
    return json.dumps(graph)


def conversation_fields(conversation: Conversation) -> tuple:
    return (conversation.id, conversation.title, conversation.model, conversation.created, conversation.updated)


def turn_fields(turn: Turn) -> tuple:
    return (turn.id, turn.role, turn.text, turn.state, turn.model, turn.created, turn.tokens_in, turn.tokens_out, turn.detail, turn.seq)
