"""Gemini through the google-genai SDK: the client, the history, streamed replies, errors.

``google.genai`` is imported lazily inside the methods (about half a second), never at
start-up. Every failure reaches the caller as a :class:`GeminiError` carrying a catalogue
key (``gemini.*``) and safe parameters; every text handed out is clean (no control characters).
"""

from g2d_tui.services.gemini.chat import GeminiChat
from g2d_tui.services.gemini.client import DEFAULT_BASE_URL, GeminiConfig, build_client
from g2d_tui.services.gemini.errors import GeminiError, map_error
from g2d_tui.services.gemini.history import ChatHistory, Turn
from g2d_tui.services.gemini.models import ModelInfo
from g2d_tui.services.gemini.prompts import ImagePrompt, estimate_tokens, parse_image_prompt, trim_prompt
from g2d_tui.services.gemini.stream import ReplyOutcome, TokenCounts

_build_client = build_client  # the name other modules knew

__all__ = [
    "DEFAULT_BASE_URL",
    "ChatHistory",
    "GeminiChat",
    "GeminiConfig",
    "GeminiError",
    "ImagePrompt",
    "ModelInfo",
    "ReplyOutcome",
    "TokenCounts",
    "Turn",
    "build_client",
    "estimate_tokens",
    "map_error",
    "parse_image_prompt",
    "trim_prompt",
]
