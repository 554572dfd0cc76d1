"""PictureDetails: the gallery's side pane — a preview of the selected picture, its recipe,
and buttons for what can be done with it (they post :class:`PictureDetails.Action`).

Every value comes from the store (prompts, model names, paths): shown as ``Content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from g2d_tui.i18n import t
from g2d_tui.paths import display_path

if TYPE_CHECKING:
    from textual.widget import Widget

    from g2d_tui.conversation import Picture

ACTIONS = ("reuse", "new-seed", "variations", "copy", "folder", "remove")
"""The buttons, in order; each posts its name."""
LABEL_STYLE = "bold $text-accent"
PREVIEW_ROWS = 10


def details_content(picture: Picture) -> Content:
    """The picture's recipe and where it is, one labelled field after another."""
    size = f"{picture.width}×{picture.height}" if picture.width and picture.height else ""
    backend = " · ".join(part for part in (picture.backend, picture.provider) if part)
    steps = "" if picture.steps is None else str(picture.steps)
    guidance = "" if picture.guidance_scale is None else f"{picture.guidance_scale:g}"
    fields = [
        ("gallery.field.prompt", picture.prompt),
        ("gallery.field.negative_prompt", picture.negative_prompt),
        ("gallery.field.request", picture.request if picture.request != picture.prompt else ""),
        ("gallery.field.seed", "—" if picture.seed is None else str(picture.seed)),
        ("gallery.field.size", size),
        ("gallery.field.steps", steps),
        ("gallery.field.guidance", guidance),
        ("gallery.field.model", picture.model),
        ("gallery.field.backend", backend),
        ("gallery.field.created", picture.created.strftime("%Y-%m-%d %H:%M")),
        ("gallery.field.path", display_path(picture.path) if picture.path else ""),
    ]
    parts: list[Content] = []
    for key, value in fields:
        if value:
            parts.append(Content.assemble((t(key), LABEL_STYLE), "\n", value))
    return Content("\n").join(parts)


class PictureDetails(VerticalScroll):
    """The selected picture of the gallery."""

    @dataclass
    class Action(Message):
        """A button was pressed: one of :data:`ACTIONS`."""

        action: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.picture: Picture | None = None

    def compose(self) -> ComposeResult:
        yield Vertical(id="details-preview")
        with Grid(id="details-actions"):
            for name in ACTIONS:
                yield Button(t(f"gallery.button.{name}"), id=f"details-{name}", compact=True, disabled=True)
        yield Static("", id="details-text")

    def preview_box(self) -> tuple[int, int]:
        """Cells a preview may take: the pane's width, :data:`PREVIEW_ROWS` rows."""
        return max(8, self.scrollable_content_region.width - 1), PREVIEW_ROWS

    def show(self, picture: Picture | None) -> None:
        """Show ``picture``'s fields (its preview comes with :meth:`show_preview`)."""
        self.picture = picture
        self.query_one("#details-text", Static).update(details_content(picture) if picture is not None else "")
        for button in self.query(Button):
            button.disabled = picture is None

    async def show_preview(self, widget: Widget | None, problem: str = "") -> None:
        """Put ``widget`` (a picture made off the event loop) in the preview, or say why there is none."""
        preview = self.query_one("#details-preview", Vertical)
        await preview.remove_children()
        if widget is not None:
            await preview.mount(widget)
        elif problem:
            await preview.mount(Static(Content(problem), classes="details-problem"))

    def retranslate(self) -> None:
        for name in ACTIONS:
            self.query_one(f"#details-{name}", Button).label = t(f"gallery.button.{name}")
        self.show(self.picture)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("details-")
        if name in ACTIONS:
            self.post_message(self.Action(name))
