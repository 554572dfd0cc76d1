"""``g2d-tui imagine TEXT``: the /imagine pipeline without a screen.

Gemini writes the prompt, the image backend draws it (``-n`` times, one seed each) and
``image_store.save`` writes each PNG with its metadata, exactly as the app saves it.
stdout gets the saved paths, one per line, or one JSON object per picture (``--json``);
progress goes to stderr when that is a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui.cli.arguments import UsageError, add_common_options, subcommand_parser
from g2d_tui.cli.exit_codes import ExitCode
from g2d_tui.cli.output import StatusLine, write_json
from g2d_tui.i18n import t
from g2d_tui.services.sanitize import clean_line

if TYPE_CHECKING:
    from g2d_tui.cli.runner import Context
    from g2d_tui.services.images.base import Progress

MAX_PICTURES = 64
SEED_LIMIT = 2**32
_SIZE = re.compile(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*")


def _limits(name: str) -> tuple[int, int]:
    from g2d_tui.settings.model import LIMITS

    limit = LIMITS[("images", name)]
    return int(limit.minimum or 0), int(limit.maximum or 0)


def parse_size(text: str) -> tuple[int, int]:
    """``"768x512"`` -> ``(768, 512)``, each side within the settings' limits."""
    match = _SIZE.fullmatch(text)
    low, high = _limits("width")
    if match is None or not all(low <= int(side) <= high for side in match.groups()):
        raise argparse.ArgumentTypeError(t("cli.imagine.bad_size", minimum=low, maximum=high))
    return int(match[1]), int(match[2])


def parse_seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < SEED_LIMIT:
        raise argparse.ArgumentTypeError(t("cli.imagine.bad_seed", maximum=SEED_LIMIT - 1))
    return seed


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PICTURES:
        raise argparse.ArgumentTypeError(t("cli.imagine.bad_count", maximum=MAX_PICTURES))
    return count


def build_parser() -> argparse.ArgumentParser:
    from g2d_tui.settings.model import IMAGE_BACKENDS

    parser = subcommand_parser("imagine")
    parser.add_argument("text", nargs="+", metavar=t("cli.imagine.text_metavar"), help=t("cli.imagine.text"))
    parser.add_argument("--out", metavar=t("cli.imagine.dir_metavar"), help=t("cli.imagine.out"))
    parser.add_argument("--backend", choices=IMAGE_BACKENDS, help=t("cli.imagine.backend"))
    parser.add_argument("--model", metavar=t("cli.model_metavar"), help=t("cli.imagine.model"))
    parser.add_argument("--seed", type=parse_seed, metavar="N", help=t("cli.imagine.seed"))
    parser.add_argument("-n", dest="count", type=parse_count, default=1, metavar="N", help=t("cli.imagine.count"))
    parser.add_argument("--negative", metavar=t("cli.imagine.text_metavar"), help=t("cli.imagine.negative"))
    parser.add_argument("--size", type=parse_size, metavar=t("cli.imagine.size_metavar"), help=t("cli.imagine.size"))
    parser.add_argument("--no-expand", action="store_true", help=t("cli.imagine.no_expand"))
    parser.add_argument("--json", action="store_true", help=t("cli.imagine.json"))
    add_common_options(parser)
    return parser


def seeds(first: int, count: int) -> list[int]:
    """``count`` seeds: ``first``, ``first + 1``… or, for ``first = -1``, different random ones."""
    if first >= 0:
        return [(first + index) % SEED_LIMIT for index in range(count)]
    chosen: list[int] = []
    while len(chosen) < count:
        seed = secrets.randbelow(SEED_LIMIT)
        if seed not in chosen:
            chosen.append(seed)
    return chosen


def run(args: argparse.Namespace, context: Context) -> int:
    request = " ".join(args.text).strip()
    if not request:
        raise UsageError(t("cli.imagine.nothing_to_draw"))
    return asyncio.run(imagine(request, args, context))


async def imagine(request: str, args: argparse.Namespace, context: Context) -> int:
    from g2d_tui.cli.runner import warn_about_plain_http
    from g2d_tui.cli.services import build_image_backend, gemini_config, record_picture
    from g2d_tui.services import image_store
    from g2d_tui.services.gemini import GeminiChat, ImagePrompt
    from g2d_tui.services.settings_services import image_request

    settings = context.settings.copy()
    images = settings.images
    if args.backend:
        images.backend = args.backend
    if args.model:
        images.model = args.model
    if args.negative is not None:
        images.negative_prompt = args.negative
    if args.size:
        images.width, images.height = args.size
    folder = Path(args.out if args.out is not None else images.save_dir).expanduser()
    stdout, status = context.streams.stdout, StatusLine(context.streams.stderr)
    warn_about_plain_http(context, settings, chat=not args.no_expand, images=True)
    backend = build_image_backend(settings, context.environment)
    chat = None
    try:
        if args.no_expand:
            prompt = ImagePrompt(request, "")
        else:
            chat = GeminiChat(gemini_config(settings, context.environment))
            status.show(t("cli.imagine.writing_prompt"))
            prompt = await chat.write_image_prompt(request, settings.gemini.max_prompt_tokens)
            status.note(t("cli.imagine.prompt", prompt=clean_line(prompt.prompt)))
        planned = seeds(args.seed if args.seed is not None else images.seed, args.count)
        for number, seed in enumerate(planned, start=1):
            request_to_draw = image_request(images, prompt, seed=seed, source_request=request)
            counter = f"[{number}/{len(planned)}] " if len(planned) > 1 else ""

            def on_progress(progress: Progress, counter: str = counter) -> None:
                text = _progress_text(progress)
                if text:
                    status.show(counter + text)

            status.show(counter + t("cli.imagine.drawing"))
            image = await backend.generate(request_to_draw, on_progress=on_progress)
            path = await asyncio.to_thread(image_store.save, image, folder)
            record_picture(path, image, prompt)
            status.clear()
            if args.json:
                write_json(
                    stdout,
                    {
                        "prompt": image.request.prompt,
                        "negative_prompt": image.request.negative_prompt,
                        "seed": image.seed,
                        "backend": backend.name,
                        "provider": image.provider,
                        "model": image.model,
                        "width": image.width,
                        "height": image.height,
                        "path": str(path),
                    },
                )
            else:
                stdout.write(f"{path}\n")
                stdout.flush()
    finally:
        status.clear()
        await backend.aclose()
        if chat is not None:
            await chat.aclose()
    return ExitCode.OK


def _progress_text(progress: Progress) -> str | None:
    if progress.kind == "loading":
        return t("imagine.cold_start", waited=int(progress.waited), limit=int(progress.limit))
    if progress.kind == "retrying_black":
        return t("imagine.retrying_black")
    if progress.kind == "sending":
        return t("cli.imagine.drawing")
    return None
