"""The saved PNG: pixels byte for byte, A1111 ``parameters`` that claim only what was used."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timezone

import pytest
from PIL import Image, PngImagePlugin

from g2d_tui.services import image_codec, png_metadata
from g2d_tui.services.images.base import GeneratedImage, ImageError, ImageRequest
from tests.fakes.hf_server import encode, gradient, png_bytes


def make_image(data: bytes, *, prompt="a red fox in the snow", negative="", source="", seed=42, size=(64, 48), **extra) -> GeneratedImage:
    request = ImageRequest(prompt=prompt, negative_prompt=negative, steps=30, guidance_scale=7.0, source_request=source)
    return GeneratedImage(
        data=data,
        mime="image/png",
        width=size[0],
        height=size[1],
        seed=seed,
        model="stabilityai/stable-diffusion-xl-base-1.0",
        request=request,
        created=datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
        **extra,
    )


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_chunks(png: bytes, *chunks: bytes) -> bytes:
    """``png`` with ``chunks`` inserted right after IHDR."""
    ihdr_end = 8 + 12 + struct.unpack(">I", png[8:12])[0]
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def idat(data: bytes) -> bytes:
    """The concatenated IDAT chunks of a PNG: the pixel data, compressed."""
    out, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            out += data[pos : pos + 12 + length]
        pos += 12 + length
    return out


def texts(data: bytes) -> dict[str, str]:
    with Image.open(io.BytesIO(data)) as reread:
        reread.load()
        return dict(reread.text)


def test_parameters_text_is_a1111_format():
    image = make_image(png_bytes(64, 48), negative="blurry, lowres", backend="huggingface", provider="fal-ai")
    assert png_metadata.parameters_text(image) == (
        "a red fox in the snow\n"
        "Negative prompt: blurry, lowres\n"
        "Steps: 30, CFG scale: 7, Seed: 42, Size: 64x48, "
        "Model: stabilityai/stable-diffusion-xl-base-1.0, Backend: huggingface, Provider: fal-ai"
    )


def test_parameters_text_without_negative_prompt_and_fractional_cfg():
    request = ImageRequest(prompt="p", guidance_scale=7.5, steps=20)
    image = GeneratedImage(b"", "image/png", 8, 8, 7, "m/x", request, datetime.now().astimezone())
    assert png_metadata.parameters_text(image) == "p\nSteps: 20, CFG scale: 7.5, Seed: 7, Size: 8x8, Model: m/x"


def test_parameters_claim_only_what_the_backend_used():
    """Gemini takes no steps, CFG, seed or negative prompt: the metadata must not claim them."""
    image = make_image(png_bytes(16, 16), negative="blurry", seed=-1, backend="gemini", used=frozenset({"width", "height"}), size=(16, 16))
    assert png_metadata.parameters_text(image) == (
        "a red fox in the snow\nSize: 16x16, Model: stabilityai/stable-diffusion-xl-base-1.0, Backend: gemini"
    )
    assert image.ignored == {"negative_prompt", "steps", "guidance_scale", "seed"}


@pytest.mark.parametrize(
    "prompt",
    [
        "a cat\nNegative prompt: nothing\nSteps: 999, Seed: 1",
        "a cat\r\nSteps: 1, Sampler: forged",
        "a cat\u2028Negative prompt: x",
        "Negative prompt: this is really the prompt",
    ],
)
def test_a_prompt_cannot_forge_fields(prompt):
    image = make_image(png_bytes(16, 16), prompt=prompt, negative="real\nSteps: 7", size=(16, 16))
    text = png_metadata.parameters_text(image)
    lines = text.split("\n")
    assert len(lines) == 3
    assert not lines[0].strip().startswith("Negative prompt:")
    assert lines[1] == "Negative prompt: real Steps: 7"
    assert lines[2].startswith("Steps: 30, CFG scale: 7, Seed: 42,")


def test_values_with_commas_or_colons_are_quoted_as_a1111_does():
    image = make_image(png_bytes(16, 16), backend="comfyui", sampler="euler, ancestral", size=(16, 16))
    image = GeneratedImage(**{**image.__dict__, "model": "models:sdxl.safetensors"})
    line = png_metadata.parameters_text(image).splitlines()[-1]
    assert 'Sampler: "euler, ancestral"' in line
    assert 'Model: "models:sdxl.safetensors"' in line


def test_a1111_keeps_the_servers_infotext_and_names_the_backend():
    infotext = "a fox\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 5, Size: 16x16, Model hash: abc, Model: sd15"
    image = make_image(png_bytes(16, 16), backend="a1111", infotext=infotext, size=(16, 16))
    data = png_metadata.png_with_parameters(image)
    assert texts(data)["parameters"] == infotext + ", Backend: a1111"


def test_png_with_parameters_is_readable_back_and_keeps_pixels():
    original = png_bytes(64, 48)
    image = make_image(original, negative="blurry", source="a fox, please")
    data = png_metadata.png_with_parameters(image)
    found = texts(data)
    assert found["parameters"] == png_metadata.parameters_text(image)
    assert found["Software"] == "g2d-tui"
    assert found["g2d-request"] == "a fox, please"
    assert idat(data) == idat(original)  # the pixel data, byte for byte
    image_codec.inspect(data)  # still a valid PNG (CRCs)


def test_png_with_parameters_replaces_existing_metadata_chunks():
    first = png_metadata.png_with_parameters(make_image(png_bytes(16, 16), prompt="old"))
    second = png_metadata.png_with_parameters(make_image(first, prompt="new"))
    assert second.count(b"parameters") == 1
    assert texts(second)["parameters"].startswith("new\n")


def test_service_chunks_are_kept_unless_oversized():
    """ComfyUI puts its workflow in ``prompt``/``workflow`` chunks; a huge one is not copied."""
    small = chunk(b"tEXt", b"prompt\0" + b'{"3": {"class_type": "KSampler"}}')
    huge = chunk(b"tEXt", b"workflow\0" + b"x" * (png_metadata.MAX_TEXT_CHUNK + 1))
    bomb = chunk(b"zTXt", b"bomb\0\0" + zlib.compress(b"y" * (png_metadata.MAX_TEXT_CHUNK * 4)))
    received = with_chunks(png_bytes(16, 16), small, huge, bomb)
    data = png_metadata.png_with_parameters(make_image(received, backend="comfyui", service_texts=(("prompt", "ours"),)))
    found = texts(data)
    assert found["prompt"] == '{"3": {"class_type": "KSampler"}}'  # the server's, not ours
    assert "workflow" not in found and "bomb" not in found
    assert idat(data) == idat(received)


def test_service_texts_are_added_when_the_png_lacks_them():
    data = png_metadata.png_with_parameters(make_image(png_bytes(16, 16), service_texts=(("prompt", '{"9": {}}'),)))
    assert texts(data)["prompt"] == '{"9": {}}'


def test_png_with_parameters_keeps_unicode_prompts():
    prompt = "café à noite, 東京の夜 🌃"
    data = png_metadata.png_with_parameters(make_image(png_bytes(16, 16), prompt=prompt))
    found = texts(data)
    assert found["parameters"].splitlines()[0] == prompt
    assert found["g2d-request"] == prompt


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_png_with_parameters_reencodes_other_formats(fmt):
    data = png_metadata.png_with_parameters(make_image(encode(gradient(40, 30), fmt)))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as reread:
        assert reread.format == "PNG"
        assert reread.size == (40, 30)
        assert reread.text["parameters"].startswith("a red fox in the snow\nSteps: 30,")


def test_png_with_parameters_rejects_garbage():
    with pytest.raises(ImageError) as caught:
        png_metadata.png_with_parameters(make_image(b"garbage"))
    assert caught.value.key == "images.corrupt"


def test_pillow_reads_what_pillow_wrote_the_same():
    """Our spliced chunks read back like Pillow's own ``PngInfo``."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "x")
    out = io.BytesIO()
    gradient(8, 8).save(out, format="PNG", pnginfo=info)
    data = png_metadata.png_with_parameters(make_image(out.getvalue(), prompt="y", size=(8, 8)))
    assert texts(data)["parameters"].startswith("y\n")
