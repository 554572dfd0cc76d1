"""ImageCard: one /imagine (or /edit, new seed, variations) — prompt, progress, pictures, saves.

The card is drawn from its entry's :class:`ImageRun`, which the imagine flow updates; a card
scrolled far away is removed and built again from the run, its pictures decoded again
from their files (the flow does that in a thread when the card asks).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
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
from g2d_tui.widgets.chat_log import Entry, wrapped_lines

if TYPE_CHECKING:
    from textual.widget import Widget

    from g2d_tui.services.errors import ServiceError
    from g2d_tui.services.gemini import ImagePrompt
    from g2d_tui.services.images.base import GeneratedImage, Progress

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
DECODING_NOTICE_DELAY = 0.3
"""Seconds a received picture may take before its card says it is decoding. It usually
shows sooner, and the status's new words cost a layout of the whole screen."""
RENDERER_ENV = "G2D_TUI_IMAGE_RENDERER"
DEFAULT_CELL = (10, 20)
"""A VT340's cell in pixels: textual-image's own fallback."""
WORKING = ("prompting", "generating", "decoding")


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


@dataclass(eq=False)
class ImageRun:
    """What one image turn is doing and has made: the card's data."""

    request: str
    """What the user asked for (the /imagine text, the /edit instruction)."""
    typed: str = ""
    """The input as typed, given back when the run fails."""
    asked_by: Entry | None = None
    """The user's /imagine (or /edit) line: stored with the run, marked failed with it."""
    count: int = 1
    """Pictures asked for (variations make several, side by side)."""
    seeds: list[int] = field(default_factory=list)
    """Seeds asked for (new seed, variations); empty: the settings' seed."""
    parent_id: int | None = None
    """The gallery picture this run varies or edits."""
    edit_of: tuple[bytes, str, str] | None = None
    """For /edit: the picture's bytes, their mime type, and its name (the file's, as the parent)."""
    provider: str = ""
    """The Hugging Face provider that drew it, once the backend said so."""
    prompt: ImagePrompt | None = None
    state: str = "prompting"
    """prompting, generating, decoding, shown, error, cancelled."""
    status_key: str = "imagine.writing_prompt"
    status_params: dict[str, object] = field(default_factory=dict)
    deadline: float | None = None
    """Monotonic time of the next cold-start try, for the countdown."""
    images: list[GeneratedImage] = field(default_factory=list)
    """Pictures received and not saved yet (their bytes); a saved one is dropped from here."""
    saved: list[str] = field(default_factory=list)
    """Paths of the saved pictures."""
    save_error: ServiceError | None = None
    notice_key: str = ""
    """A note about the backend's pictures (e.g. Gemini: paid, SynthID watermark)."""
    displays: list[Widget] | None = None
    """The picture widgets shown, while the card is on screen."""
    decoding_from: float | None = None

    @property
    def working(self) -> bool:
        return self.state in WORKING

    @property
    def unsaved(self) -> int:
        return len(self.images)


def show_progress(run: ImageRun, progress: Progress, set_status) -> None:
    """What a card says for a step a backend reported (``set_status(state, key, **params)``)."""
    kind = progress.kind
    if kind != "loading":
        run.deadline = None
    if kind == "loading":
        run.deadline = time.monotonic() + progress.wait
        set_status("generating", "imagine.cold_start", waited=int(progress.waited), limit=int(progress.limit))
    elif kind == "retrying_black":
        set_status("generating", "imagine.retrying_black")
    elif kind == "sending":
        set_status("generating", "imagine.generating")
    elif kind == "provider":
        run.provider = progress.provider
        set_status("generating", "images.progress_provider", provider=progress.provider)
    elif kind == "queued":
        if progress.position:
            set_status("generating", "images.progress_queued", position=progress.position)
        else:
            set_status("generating", "images.progress_queued_unknown")
    elif kind == "running":
        set_status("generating", "images.progress_running")
    elif kind == "step" and progress.total:
        set_status("generating", "images.progress_step", step=progress.step, total=progress.total)
    elif kind == "downloading":
        set_status("generating", "images.progress_downloading")


class ImageCard(Vertical):
    """Shows an image run; its buttons post messages the imagine flow acts on."""

    DEFAULT_CSS = """
    ImageCard { height: auto; border: round $secondary; padding: 0 1; margin: 0 0 1 0; }
    ImageCard.-error { border: round $error; }
    ImageCard .card-prompt { color: $text; }
    ImageCard .card-negative { color: $text-muted; }
    ImageCard .card-status { color: $text-accent; }
    ImageCard .card-notice { color: $text-warning; }
    ImageCard.-error .card-status { color: $text-error; }
    ImageCard .card-pictures { height: auto; width: 1fr; }
    ImageCard .card-image { width: auto; height: auto; max-height: 60vh; margin-right: 1; }
    ImageCard .card-saved { color: $text-success; }
    ImageCard .card-saved.-error { color: $text-error; }
    ImageCard .card-actions { height: auto; }
    ImageCard .card-actions Button { margin-right: 1; }
    """

    @dataclass
    class Action(Message):
        """A card button: ``copy-prompt``, ``save``, ``new-seed``, ``variations``, ``retry``."""

        card: ImageCard
        action: str

    @dataclass
    class PicturesWanted(Message):
        """The card is on screen with pictures to show and no widgets for them."""

        card: ImageCard

    BUTTONS = ("copy-prompt", "save", "new-seed", "variations", "retry")

    def __init__(self, entry: Entry) -> None:
        super().__init__(classes="turn")
        self.entry = entry
        self.run: ImageRun = entry.run
        self._frame = 0
        self._spinning_words: str | None = None
        self.border_title = Content(t("imagine.title"))

    # -- what tests and the flow read -------------------------------------------------------

    @property
    def state(self) -> str:
        return self.run.state

    @property
    def image(self) -> GeneratedImage | None:
        """The newest picture not saved yet."""
        return self.run.images[-1] if self.run.images else None

    @property
    def saved_path(self):
        from pathlib import Path

        return Path(self.run.saved[-1]) if self.run.saved else None

    @property
    def prompt(self) -> ImagePrompt | None:
        return self.run.prompt

    @property
    def request(self) -> str:
        return self.run.request

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Content(self.run.request), classes="card-request")
        yield Static("", classes="card-prompt")
        yield Static("", classes="card-negative")
        yield Static("", classes="card-status")
        yield Static("", classes="card-notice")
        yield Horizontal(classes="card-pictures")
        yield Static("", classes="card-saved")
        with Horizontal(classes="card-actions"):
            for name in self.BUTTONS:
                yield Button(Content(t(f"imagine.button.{name}")), classes=f"card-{name}", compact=True, disabled=True)

    async def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._tick, pause=not self.run.working)
        self.sync()
        if self.run.images or self.run.saved:
            self.post_message(self.PicturesWanted(self))

    def on_unmount(self) -> None:
        self.run.displays = None  # memory follows what is on screen: decoded again when back

    def sync(self) -> None:
        """Show the run as it is now."""
        if not self.is_mounted:
            return
        run = self.run
        prompt = run.prompt
        self.query_one(".card-prompt", Static).update(Content(prompt.prompt if prompt else ""))
        negative = t("imagine.negative", text=prompt.negative_prompt) if prompt and prompt.negative_prompt else ""
        self.query_one(".card-negative", Static).update(Content(negative))
        notice = self.query_one(".card-notice", Static)
        notice.update(Content(t(run.notice_key) if run.notice_key else ""))
        notice.display = bool(run.notice_key)
        self._sync_saved()
        self._sync_buttons()
        self.set_class(run.state == "error", "-error")
        if run.working:
            self._timer.resume()
        self._render_status()

    def _sync_saved(self) -> None:
        run, saved = self.run, self.query_one(".card-saved", Static)
        if run.save_error is not None:
            saved.update(Content(t("imagine.save_failed", reason=run.save_error)))
        elif run.saved:
            saved.update(Content(" · ".join(t("imagine.saved", path=display_path(path)) for path in run.saved)))
        else:
            saved.update("")
        saved.set_class(run.save_error is not None, "-error")

    def _sync_buttons(self) -> None:
        run = self.run
        done = run.state == "shown"
        enabled = {
            "copy-prompt": run.prompt is not None,
            "save": done and bool(run.images),
            "new-seed": done and run.prompt is not None,
            "variations": done and run.prompt is not None,
            "retry": run.state in ("error", "cancelled"),
        }
        for name, on_ in enabled.items():
            button = self.query_one(f".card-{name}", Button)
            button.disabled = not on_
            button.display = name != "retry" or on_
        self.query_one(".card-save", Button).display = not self.query_one(".card-retry", Button).display

    async def show_pictures(self, widgets: list[Widget]) -> None:
        """Mount the picture widgets (decoded and scaled off the event loop)."""
        box = self.query_one(".card-pictures", Horizontal)
        await box.remove_children()
        for widget in widgets:
            widget.add_class("card-image")
        self.run.displays = widgets
        await box.mount_all(widgets)

    # -- status ------------------------------------------------------------------------------

    def on_progress(self, progress: Progress) -> None:
        show_progress(self.run, progress, self.set_status)

    def set_status(self, state: str, key: str, **params: object) -> None:
        run = self.run
        run.decoding_from = None
        run.state, run.status_key, run.status_params = state, key, params
        self.set_class(state == "error", "-error")
        if self.is_mounted:
            if run.working:
                self._timer.resume()
            self._sync_buttons()
            self._render_status()

    def decoding(self) -> None:
        """The picture arrived: say "decoding" if it is not shown within ``DECODING_NOTICE_DELAY``."""
        self.run.decoding_from = time.monotonic() + DECODING_NOTICE_DELAY

    def _tick(self) -> None:
        run = self.run
        if run.decoding_from is not None and time.monotonic() >= run.decoding_from:
            self.set_status("decoding", "imagine.decoding")
        if run.working:
            self._frame = (self._frame + 1) % len(SPINNER)
            self._render_status()
        else:
            self._timer.pause()  # finished: nothing moves any more

    def _render_status(self) -> None:
        if not self.is_mounted:
            return
        run = self.run
        status = self.query_one(".card-status", Static)
        text = t(run.status_key, **run.status_params) if run.status_key else ""
        if run.state == "error":
            self._spinning_words = None
            status.update(Content(f"✗ {text}"))
            return
        if run.working:
            if run.deadline is not None:
                remaining = max(0, round(run.deadline - time.monotonic()))
                text = f"{text} — {t('imagine.next_try', seconds=remaining)}"
            text = f"{SPINNER[self._frame]} {text} · {t('imagine.esc_cancels')}"
        # Ten times a second only the spinner glyph (one cell) changes: same wrapping, same
        # height, so no layout pass, which would reflow the whole screen while a picture is made.
        words = text[1:] if text and text[0] in SPINNER else None
        status.update(Content(text), layout=words is None or words != self._spinning_words)
        self._spinning_words = words

    def retranslate(self) -> None:
        self.border_title = Content(t("imagine.title"))
        for name in self.BUTTONS:
            self.query_one(f".card-{name}", Button).label = Content(t(f"imagine.button.{name}"))
        self.sync()

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for name in self.BUTTONS:
            if event.button.has_class(f"card-{name}"):
                self.post_message(self.Action(self, name))

    @classmethod
    def estimate(cls, entry: Entry, width: int) -> int:
        run: ImageRun = entry.run
        pictures = 24 if (run.images or run.saved) else 0
        return wrapped_lines(run.request, width - 4) + 8 + pictures
