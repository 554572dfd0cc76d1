"""ImageCard: one /imagine run — its prompt, progress, the picture and where it was saved."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from g2d_tui import hooks
from g2d_tui.i18n import t
from g2d_tui.paths import display_path

if TYPE_CHECKING:
    from textual.widget import Widget

    from g2d_tui.services.errors import ServiceError
    from g2d_tui.services.gemini import ImagePrompt
    from g2d_tui.services.images.base import GeneratedImage, Progress

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
DECODING_NOTICE_DELAY = 0.3
"""Seconds a received picture may take before its card says it is decoding. It usually
shows sooner, and the status's new words cost a layout of the whole screen (5-12 ms) just
while the picture is being scaled and encoded."""
RENDERER_ENV = "G2D_TUI_IMAGE_RENDERER"


DEFAULT_CELL = (10, 20)
"""A VT340's cell in pixels: textual-image's own fallback."""


def renderer_name() -> str:
    """``halfcell``, ``unicode``, ``tgp`` or ``sixel``: forced by ``$G2D_TUI_IMAGE_RENDERER``,
    else what the terminal said before the app started (half-cell when not a terminal)."""
    forced = os.environ.get(RENDERER_ENV, "auto").strip().lower()
    forced = {"kitty": "tgp"}.get(forced, forced)
    if forced in ("halfcell", "unicode", "tgp", "sixel"):
        return forced
    graphics = hooks.slot("terminal_graphics")  # the tuning's probe, when it ran
    if graphics is not None:
        return graphics.protocol
    detected = sys.modules.get("textual_image.renderable")  # textual-image asked the terminal itself
    if detected is not None:
        return {detected.SixelImage: "sixel", detected.TGPImage: "tgp"}.get(detected.Image, "halfcell")
    return "halfcell"


def cell_size() -> tuple[int, int]:
    """A terminal cell in pixels, as far as anyone asked the terminal."""
    graphics = hooks.slot("terminal_graphics")
    return (graphics.cell_width, graphics.cell_height) if graphics is not None else DEFAULT_CELL


def image_widget_class(name: str):
    """The textual-image widget class for ``name`` (``unicode``, ``tgp`` or ``sixel``)."""
    import textual_image.widget as widgets

    return {"unicode": widgets.UnicodeImage, "tgp": widgets.TGPImage, "sixel": widgets.SixelImage}[name]


class ImageCard(Vertical):
    """Shows the state of one image request; posts SaveRequested from its button."""

    DEFAULT_CSS = """
    ImageCard { height: auto; border: round $secondary; padding: 0 1; margin: 0 0 1 0; }
    ImageCard.-error { border: round $error; }
    ImageCard .card-prompt { color: $text; }
    ImageCard .card-negative { color: $text-muted; }
    ImageCard .card-status { color: $text-accent; }
    ImageCard.-error .card-status { color: $text-error; }
    ImageCard .card-image { width: auto; height: auto; max-height: 60vh; max-width: 100%; }
    ImageCard .card-saved { color: $text-success; }
    ImageCard .card-actions { height: auto; }
    ImageCard .card-actions Button { margin-right: 1; }
    """

    class SaveRequested(Message):
        def __init__(self, card: ImageCard) -> None:
            super().__init__()
            self.card = card

    class CopyPromptRequested(Message):
        def __init__(self, card: ImageCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, request: str, asked_by: Widget | None = None) -> None:
        super().__init__(classes="turn")
        self.request = request
        self.asked_by = asked_by
        """The user's /imagine line: archiving the card replaces both with one note."""
        self.prompt: ImagePrompt | None = None
        self.image: GeneratedImage | None = None
        """The full image bytes, kept only until they are saved."""
        self.saved_path: Path | None = None
        self._save_error: ServiceError | None = None
        self.state = "prompting"
        self._status_key = "imagine.writing_prompt"
        self._status_params: dict[str, object] = {}
        self._deadline: float | None = None
        self._frame = 0
        self._spinning_words: str | None = None
        """The status text after its spinner glyph, as last shown."""
        self._decoding_from: float | None = None
        self.border_title = t("imagine.title")

    def compose(self) -> ComposeResult:
        yield Static(Content(self.request), classes="card-request")
        yield Static("", classes="card-prompt")
        yield Static("", classes="card-negative")
        yield Static("", classes="card-status")
        yield Static("", classes="card-saved")
        with Horizontal(classes="card-actions"):
            yield Button(t("imagine.copy_prompt"), classes="copy-prompt", compact=True, disabled=True)
            yield Button(t("imagine.save"), classes="save-image", compact=True, disabled=True)

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._tick)
        self._render_status()

    # -- state changes (called by the screen's worker) ----------------------------------

    def set_prompt(self, prompt: ImagePrompt) -> None:
        self.prompt = prompt
        self.query_one(".card-prompt", Static).update(Content(prompt.prompt))
        if prompt.negative_prompt:
            self.query_one(".card-negative", Static).update(Content(t("imagine.negative", text=prompt.negative_prompt)))
        self.query_one(".copy-prompt", Button).disabled = False
        self.set_status("generating", "imagine.generating")

    def on_progress(self, progress: Progress) -> None:
        if progress.kind == "loading":
            self._deadline = time.monotonic() + progress.wait
            self.set_status("generating", "imagine.cold_start", waited=int(progress.waited), limit=int(progress.limit))
        elif progress.kind == "retrying_black":
            self._deadline = None
            self.set_status("generating", "imagine.retrying_black")
        elif progress.kind == "sending":
            self._deadline = None
            self.set_status("generating", "imagine.generating")

    def decoding(self) -> None:
        """The picture arrived: say "decoding" if it is not shown within ``DECODING_NOTICE_DELAY``."""
        self._decoding_from = time.monotonic() + DECODING_NOTICE_DELAY

    def set_status(self, state: str, key: str, **params: object) -> None:
        self._decoding_from = None
        self.state = state
        self._status_key, self._status_params = key, params
        # Only the error state is styled. A class change restyles the card and its dozen
        # children (~10 ms), and a class per state meant two such passes per change, one
        # of them just as the picture arrived.
        self.set_class(state == "error", "-error")
        if state in ("prompting", "generating", "decoding") and self.is_mounted:
            self._timer.resume()
        self._render_status()

    async def show(self, image: GeneratedImage, picture: Widget) -> None:
        """Mount ``picture``, a widget whose pixels were decoded and scaled off the event loop."""
        self.image = image
        picture.add_class("card-image")
        await self.mount(picture, before=self.query_one(".card-saved"))
        self.set_status("shown", "imagine.done", width=image.width, height=image.height, seed=image.seed, model=image.model)
        self.query_one(".save-image", Button).disabled = False

    def set_saved(self, path: Path) -> None:
        self.saved_path = path
        self._save_error = None
        self.query_one(".card-saved", Static).remove_class("-error")
        self.image = None  # the file has the bytes now; keep memory small
        self.query_one(".card-saved", Static).update(Content(t("imagine.saved", path=display_path(path))))
        self.query_one(".save-image", Button).disabled = True

    def set_save_error(self, error: ServiceError) -> None:
        self._save_error = error
        self.query_one(".card-saved", Static).update(Content(t("imagine.save_failed", reason=error)))
        self.query_one(".card-saved", Static).add_class("-error")

    def set_error(self, key: str, **params: object) -> None:
        """Show a failure (catalogue key + params, so it re-translates)."""
        self.set_status("error", key, **params)

    def release_picture(self) -> None:
        """Drop the on-screen pixels of an old, unsaved card (memory); its bytes stay for ctrl+s."""
        for widget in self.query(".card-image"):
            widget.remove()
        self.set_status("shown", "imagine.released")

    # -- rendering ----------------------------------------------------------------------

    def _tick(self) -> None:
        if self._decoding_from is not None and time.monotonic() >= self._decoding_from:
            self.set_status("decoding", "imagine.decoding")
        if self.state in ("prompting", "generating", "decoding"):
            self._frame = (self._frame + 1) % len(SPINNER)
            self._render_status()
        else:
            self._timer.pause()  # finished: nothing moves any more

    def _render_status(self) -> None:
        if not self.is_mounted:
            return
        status = self.query_one(".card-status", Static)
        if self.state == "error":
            self._spinning_words = None
            status.update(Content(f"✗ {t(self._status_key, **self._status_params)}"))
            return
        text = t(self._status_key, **self._status_params) if self._status_key else ""
        if self.state in ("prompting", "generating", "decoding"):
            if self._deadline is not None:
                remaining = max(0, round(self._deadline - time.monotonic()))
                text = f"{text} — {t('imagine.next_try', seconds=remaining)}"
            text = f"{SPINNER[self._frame]} {text} · {t('imagine.esc_cancels')}"
        # Ten times a second only the spinner glyph (one cell) changes: same wrapping, same
        # height, so no layout pass, which would reflow the whole screen while a picture is made.
        words = text[1:] if text and text[0] in SPINNER else None
        status.update(Content(text), layout=words is None or words != self._spinning_words)
        self._spinning_words = words

    def retranslate(self) -> None:
        self.border_title = t("imagine.title")
        self.query_one(".copy-prompt", Button).label = t("imagine.copy_prompt")
        self.query_one(".save-image", Button).label = t("imagine.save")
        if self.prompt and self.prompt.negative_prompt:
            self.query_one(".card-negative", Static).update(Content(t("imagine.negative", text=self.prompt.negative_prompt)))
        if self.saved_path:
            self.query_one(".card-saved", Static).update(Content(t("imagine.saved", path=display_path(self.saved_path))))
        elif self._save_error is not None:
            self.set_save_error(self._save_error)
        self._render_status()

    @on(Button.Pressed, ".save-image")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SaveRequested(self))

    @on(Button.Pressed, ".copy-prompt")
    def _copy_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CopyPromptRequested(self))
