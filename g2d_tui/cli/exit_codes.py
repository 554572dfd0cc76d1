"""Exit codes of the subcommands, and the one table that maps a service failure to its code.

Scripts branch on these (``g2d-tui ask … || case $? in 5) sleep 60 …``), so a code never
changes meaning. Failures arrive as ``ServiceError`` with a catalogue key
(``gemini.*``, ``images.*``, ``store.*``); :data:`EXIT_BY_KEY` classifies each key.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    OTHER = 1
    """Another failure of a service (server error, unknown model, refused request…)."""
    USAGE = 2
    """Bad command line (argparse's own code)."""
    MISSING_KEY = 3
    KEY_REJECTED = 4
    QUOTA = 5
    """Rate limit, quota or credits used up."""
    NETWORK = 6
    """No connection, dropped connection or timeout."""
    BLOCKED = 7
    """The prompt or the picture was blocked by a safety filter."""
    IMAGE_INVALID = 8
    """What the image service sent is not a usable picture."""
    CANNOT_WRITE = 9
    """The picture could not be saved."""
    INTERRUPTED = 130
    """Ctrl+C (128 + SIGINT, as shells report it)."""


_E = ExitCode
EXIT_BY_KEY: dict[str, ExitCode] = {
    # Gemini (g2d_tui/locales/*/gemini.toml)
    "gemini.no_key": _E.MISSING_KEY,
    "gemini.invalid_key": _E.KEY_REJECTED,
    "gemini.permission_denied": _E.KEY_REJECTED,
    "gemini.rate_limited": _E.QUOTA,
    "gemini.rate_limited_no_delay": _E.QUOTA,
    "gemini.timeout": _E.NETWORK,
    "gemini.connection": _E.NETWORK,
    "gemini.stream_cut": _E.NETWORK,
    "gemini.blocked": _E.BLOCKED,
    "gemini.model_not_found": _E.OTHER,
    "gemini.bad_request": _E.OTHER,
    "gemini.server_error": _E.OTHER,
    "gemini.unavailable": _E.OTHER,
    "gemini.stream_error": _E.OTHER,
    "gemini.empty_reply": _E.OTHER,
    "gemini.bad_prompt_json": _E.OTHER,
    "gemini.unknown": _E.OTHER,
    "gemini.stalled": _E.NETWORK,
    "gemini.reply_deadline": _E.NETWORK,
    # Image backends (images.toml, [images])
    "images.no_key": _E.MISSING_KEY,
    "images.invalid_token": _E.KEY_REJECTED,
    "images.forbidden": _E.KEY_REJECTED,
    "images.no_credits": _E.QUOTA,
    "images.rate_limited": _E.QUOTA,
    "images.rate_limited_wait": _E.QUOTA,
    "images.timeout": _E.NETWORK,
    "images.connection": _E.NETWORK,
    "images.connection_lost": _E.NETWORK,
    "images.cold_start_timeout": _E.NETWORK,
    "images.black_image": _E.BLOCKED,
    "images.corrupt": _E.IMAGE_INVALID,
    "images.not_an_image": _E.IMAGE_INVALID,
    "images.too_large": _E.IMAGE_INVALID,
    "images.model_not_found": _E.OTHER,
    "images.invalid_model": _E.OTHER,
    "images.bad_request": _E.OTHER,
    "images.server_error": _E.OTHER,
    "images.unavailable": _E.OTHER,
    "images.unexpected_status": _E.OTHER,
    "images.invalid_url": _E.OTHER,
    "images.unknown_backend": _E.OTHER,
    # Hugging Face providers and the Hub
    "images.no_provider": _E.OTHER,
    "images.provider_unsupported": _E.OTHER,
    "images.hub_model_not_found": _E.OTHER,
    "images.bad_response": _E.IMAGE_INVALID,
    "images.job_failed": _E.OTHER,
    "images.result_download_failed": _E.NETWORK,
    # Gemini image output
    "images.gemini_blocked": _E.BLOCKED,
    "images.gemini_no_image": _E.BLOCKED,
    "images.gemini_no_image_said": _E.BLOCKED,
    "images.gemini_model_not_found": _E.OTHER,
    # AUTOMATIC1111 / Forge
    "images.a1111_unreachable": _E.NETWORK,
    "images.a1111_no_api": _E.OTHER,
    "images.a1111_auth": _E.KEY_REJECTED,
    "images.a1111_model_missing": _E.OTHER,
    "images.a1111_sampler_missing": _E.OTHER,
    "images.a1111_failed": _E.OTHER,
    "images.a1111_no_image": _E.IMAGE_INVALID,
    # ComfyUI
    "images.comfyui_unreachable": _E.NETWORK,
    "images.comfyui_not_found": _E.OTHER,
    "images.comfyui_no_checkpoints": _E.OTHER,
    "images.comfyui_checkpoint_missing": _E.OTHER,
    "images.comfyui_rejected": _E.OTHER,
    "images.comfyui_failed": _E.OTHER,
    "images.comfyui_interrupted": _E.OTHER,
    "images.comfyui_no_image": _E.IMAGE_INVALID,
    "images.workflow_unreadable": _E.OTHER,
    "images.workflow_invalid": _E.OTHER,
    "images.workflow_not_api": _E.OTHER,
    # Saving (images.toml, [store])
    "store.not_a_folder": _E.CANNOT_WRITE,
    "store.unwritable": _E.CANNOT_WRITE,
    "store.disk_full": _E.CANNOT_WRITE,
    "store.failed": _E.CANNOT_WRITE,
    "store.missing": _E.OTHER,
    "store.unreadable": _E.OTHER,
}
"""Every failure key the services raise, and its exit code. A key missing here exits with
``OTHER``; a test checks that every error message in the catalogue is listed."""


def exit_code_for(key: str) -> ExitCode:
    """The exit code for a ``ServiceError`` with catalogue key ``key``."""
    return EXIT_BY_KEY.get(key, ExitCode.OTHER)


def exit_codes_help() -> str:
    """The table of exit codes, for the end of a subcommand's ``--help``."""
    from g2d_tui.i18n import t

    rows = [f"  {code.value:>3}  {t(f'cli.exit.{code.name.lower()}')}" for code in ExitCode]
    return "\n".join([t("cli.exit.title"), *rows])
