"""``g2d-tui ask [TEXT]``: one question to Gemini, the reply streamed to stdout.

Piped standard input is context: ``git diff | g2d-tui ask "review this"`` sends the
question and, after it, the piped text in a fenced block.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from contextlib import aclosing
from typing import TYPE_CHECKING, TextIO

from g2d_tui.cli.arguments import UsageError, add_common_options, subcommand_parser
from g2d_tui.cli.exit_codes import ExitCode
from g2d_tui.cli.output import is_terminal, reply_writer, report, write_json
from g2d_tui.i18n import t

if TYPE_CHECKING:
    from g2d_tui.cli.runner import Context
    from g2d_tui.services.gemini import GeminiChat


def build_parser() -> argparse.ArgumentParser:
    parser = subcommand_parser("ask")
    parser.add_argument("text", nargs="*", metavar=t("cli.ask.text_metavar"), help=t("cli.ask.text"))
    parser.add_argument("--model", metavar=t("cli.model_metavar"), help=t("cli.ask.model"))
    parser.add_argument("--json", action="store_true", help=t("cli.ask.json"))
    add_common_options(parser)
    return parser


def read_piped(stdin: TextIO | None) -> str:
    """All of standard input when it is not a terminal (undecodable bytes replaced), else ""."""
    if stdin is None or is_terminal(stdin):
        return ""
    buffer = getattr(stdin, "buffer", None)
    try:
        if buffer is not None:
            return buffer.read().decode("utf-8", errors="replace")
        return stdin.read()
    except (OSError, ValueError):  # closed or unreadable: no context
        return ""


def compose(question: str, context: str) -> str:
    """The question, then the piped text in a fence no line of it can close."""
    context = context.rstrip("\n")
    if not context.strip():
        return question
    if not question.strip():
        return context
    longest = max((len(run) for run in re.findall(r"`{3,}", context)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{question}\n\n{fence}\n{context}\n{fence}"


def run(args: argparse.Namespace, context: Context) -> int:
    question = compose(" ".join(args.text), read_piped(context.streams.stdin))
    if not question.strip():
        raise UsageError(t("cli.ask.nothing_to_ask"))
    return asyncio.run(ask(question, args, context))


async def ask(question: str, args: argparse.Namespace, context: Context) -> int:
    from g2d_tui.cli.runner import warn_about_plain_http
    from g2d_tui.cli.services import gemini_config
    from g2d_tui.services.gemini import GeminiChat

    warn_about_plain_http(context, context.settings, chat=True)
    chat = GeminiChat(gemini_config(context.settings, context.environment, model=args.model))
    try:
        if args.json:
            await _answer_as_json(chat, question, context.streams.stdout)
        else:
            await _stream_answer(chat, question, context.streams.stdout)
    finally:
        await chat.aclose()
    outcome = chat.last_outcome
    if outcome is not None and outcome.notice_key is not None and not args.json:
        report(context.streams.stderr, t(outcome.notice_key, reason=outcome.finish_reason))
    return ExitCode.OK


async def _stream_answer(chat: GeminiChat, question: str, stdout: TextIO) -> None:
    writer = None
    try:
        async with aclosing(chat.stream(question)) as fragments:
            async for fragment in fragments:
                if writer is None:  # only now: an error before the first words leaves stdout empty
                    writer = reply_writer(stdout)
                writer.write(fragment)
    finally:
        if writer is not None:
            writer.close()


async def _answer_as_json(chat: GeminiChat, question: str, stdout: TextIO) -> None:
    parts = []  # cleaned by GeminiChat.stream, like the fragments _stream_answer writes
    async with aclosing(chat.stream(question)) as fragments:
        async for fragment in fragments:
            parts.append(fragment)
    outcome = chat.last_outcome
    tokens = outcome.tokens if outcome is not None else None
    write_json(
        stdout,
        {
            "reply": "".join(parts),
            "model": (outcome.model_version if outcome is not None else None) or chat.config.model,
            "finish_reason": outcome.finish_reason if outcome is not None else None,
            "tokens": {
                "prompt": tokens.prompt if tokens else None,
                "reply": tokens.reply if tokens else None,
                "thoughts": tokens.thoughts if tokens else None,
                "total": tokens.total if tokens else None,
            },
        },
    )
