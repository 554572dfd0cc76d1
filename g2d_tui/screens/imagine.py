"""The /imagine pipeline, as ChatScreen workers: prompt -> image -> screen -> folder."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.worker import Worker, WorkerError, get_current_worker

from g2d_tui import hooks
from g2d_tui.i18n import t
from g2d_tui.messages import ImageSaved
from g2d_tui.paths import display_path
from g2d_tui.services.errors import ServiceError
from g2d_tui.widgets.image_card import ImageCard, cell_size, image_widget_class, renderer_name
from g2d_tui.widgets.picture import HalfcellPicture, halfcell_strips

if TYPE_CHECKING:
    from textual.widget import Widget

    from g2d_tui.app import G2DApp
    from g2d_tui.services.images.base import GeneratedImage
    from g2d_tui.widgets.prompt_input import PromptInput
    from g2d_tui.widgets.turns import UserPrompt

LIVE_PICTURES = 8
"""Cards that keep their pixels in memory; older ones show their saved path instead."""
DISPLAY_COLUMNS, DISPLAY_ROWS = 64, 24
HOUSEKEEPING_DELAY = 0.3
"""Seconds after a picture is shown before older cards are archived: it is drawn first."""


class ImagineMixin:
    """Mixed into ChatScreen, which provides ``app``, ``imagining`` and ``prompt_input``."""

    app: G2DApp
    imagining: int
    prompt_input: PromptInput

    @work(group="imagine", exit_on_error=False)
    async def imagine(self, request: str, card: ImageCard, user: UserPrompt, typed: str) -> None:
        """Ask Gemini for a prompt, draw it, show it, save it. Several may run at once."""
        from g2d_tui.services.images.base import ImageRequest, Progress

        app, images = self.app, self.app.settings.images
        renderer = renderer_name()
        if self._pictures_prepared is None and renderer in ("sixel", "tgp"):
            self._pictures_prepared = self._prepare_pictures(renderer)
        try:
            with app.only_waiting():
                prompt = await app.gemini.write_image_prompt(request, app.settings.gemini.max_prompt_tokens)
            card.set_prompt(prompt)
            image_request = ImageRequest(
                prompt=prompt.prompt,
                negative_prompt=", ".join(part for part in (prompt.negative_prompt, images.negative_prompt) if part),
                width=images.width,
                height=images.height,
                steps=images.steps,
                guidance_scale=images.guidance_scale,
                seed=images.seed,
                source_request=request,
            )

            def on_progress(progress: Progress) -> None:
                # The bytes are in: checking and decoding them is work a pause would hold up.
                app.note_waiting(progress.kind != "checking")
                card.on_progress(progress)

            with app.only_waiting():
                image = await app.image_backend.generate(image_request, on_progress=on_progress)
            card.decoding()
            picture = await self._picture_widget(image, renderer)
            image = replace(image, preview=None)  # the card keeps the bytes, not the decoded copy
            await card.show(image, picture)
            hooks.announce("picture_shown", screen=self)
        except ServiceError as error:
            card.set_error(error.key, **error.params)
            user.mark_failed()
            self.notify(error.message(), severity="error", timeout=8)  # type: ignore[attr-defined]
            self.prompt_input.restore(typed)
            return
        except asyncio.CancelledError:
            card.set_status("cancelled", "imagine.cancelled")
            raise
        finally:
            self.imagining -= 1
        if images.auto_save:
            await self._save_card(card, image)
        # Not awaited here: a widget mounted inside a worker runs its message loop in a copy
        # of the worker's context, which references the worker and so this card. The
        # archive Notes live for the whole chat: mounted from here, each one kept an
        # archived card (and its pixels) alive, ~1.3 MB per image.
        # And a moment later (the timer is made from the screen's loop, not this worker): run
        # at once, the archiving and its garbage collection (20-60 ms) came before the frame
        # that draws the new picture.
        self.call_later(self.set_timer, HOUSEKEEPING_DELAY, self._archive_old_cards)  # type: ignore[attr-defined]

    _pictures_prepared: Worker | None = None

    @work(thread=True, group="prepare-pictures", exit_on_error=False)
    def _prepare_pictures(self, renderer: str) -> None:
        """Import and build the Sixel/Kitty picture widgets while Gemini writes the first
        prompt: done as the first picture arrived, on the event loop, it took ~25 ms of it,
        and the new widgets' CSS another parse of the stylesheet."""
        graphics_picture_class = hooks.slot("graphics_picture_class")
        widget_class = graphics_picture_class(renderer) if graphics_picture_class is not None else None
        if widget_class is not None:
            self.app.call_from_thread(hooks.announce, "widgets_expected", app=self.app, widget_classes=widget_class.mounted_classes)

    async def _picture_widget(self, image: GeneratedImage, renderer: str) -> Widget:
        """Decode, scale and encode (half-cell, Sixel, Kitty) in a thread; only mounting happens here."""
        from g2d_tui.services.image_codec import display_copy

        from g2d_tui.widgets.picture import covers

        preparing = self._pictures_prepared
        if preparing is not None and not preparing.is_finished:
            try:  # the picture needs what it prepares; it is usually done long before
                await preparing.wait()
            except WorkerError:  # failed (then the picture imports it itself), cancelled, not started
                pass
        if renderer == "halfcell":
            columns, rows = self._picture_box()
            preview = image.preview
            if preview is None or not covers(preview, (columns * 2, rows * 4)):
                preview = None  # too small (or none): decode the bytes again

            def encode():
                # The preview was decoded when the backend checked the bytes: no second decode.
                source = preview if preview is not None else display_copy(image.data, columns * 4, rows * 8)
                return halfcell_strips(source, columns, rows)

            strips = await asyncio.to_thread(encode)
            return HalfcellPicture(strips)
        width, height = _display_box()
        graphics_picture_class = hooks.slot("graphics_picture_class")  # tuning: encoded in a thread
        widget_class = graphics_picture_class(renderer) if graphics_picture_class is not None else None
        if widget_class is None:  # unicode, tuning off, or a textual-image whose hooks changed
            picture = await asyncio.to_thread(display_copy, image.data, width, height)
            return image_widget_class(renderer)(picture)
        columns, rows = self._picture_box()
        picture, encoded = await asyncio.to_thread(widget_class.prepare, image, (width, height), columns, rows)
        return widget_class(picture, encoded)

    def _picture_box(self) -> tuple[int, int]:
        """At most this many columns and rows for a picture: the card's width, 60% of the height."""
        columns = max(8, min(DISPLAY_COLUMNS, self.app.size.width - 8))
        return columns, max(4, int(self.app.size.height * 0.6))

    async def _save_card(self, card: ImageCard, image: GeneratedImage) -> None:
        from g2d_tui.services.image_store import save

        folder = Path(self.app.settings.images.save_dir).expanduser()
        try:
            path = await asyncio.to_thread(save, image, folder)
        except ServiceError as error:
            card.set_save_error(error)
            self.notify(error.message(), severity="error", timeout=10)  # type: ignore[attr-defined]
            return
        card.set_saved(path)
        self.post_message(ImageSaved(path))  # type: ignore[attr-defined]
        self.notify(t("imagine.saved", path=display_path(path)))  # type: ignore[attr-defined]

    @work(group="save-image", exit_on_error=False)
    async def save_card(self, card: ImageCard) -> None:
        if card.image is not None:
            await self._save_card(card, card.image)

    def action_save_image(self) -> None:
        cards = [card for card in self.query(ImageCard) if card.image is not None]  # type: ignore[attr-defined]
        focused = self.focused  # type: ignore[attr-defined]
        chosen = next((card for card in cards if focused is not None and focused in card.walk_children()), None)
        if chosen is None and cards:
            chosen = cards[-1]
        if chosen is None:
            saved = [card for card in self.query(ImageCard) if card.saved_path]  # type: ignore[attr-defined]
            self.notify(t("imagine.already_saved" if saved else "imagine.nothing_to_save"), severity="warning")  # type: ignore[attr-defined]
            return
        self.save_card(chosen)

    @on(ImageCard.SaveRequested)
    def _save_requested(self, event: ImageCard.SaveRequested) -> None:
        event.stop()
        self.save_card(event.card)

    @on(ImageCard.CopyPromptRequested)
    def _copy_prompt(self, event: ImageCard.CopyPromptRequested) -> None:
        event.stop()
        if event.card.prompt is not None:
            self.app.copy_to_clipboard(event.card.prompt.prompt)
            self.notify(t("imagine.prompt_copied"))  # type: ignore[attr-defined]

    async def _archive_old_cards(self) -> None:
        """Keep the newest pictures on screen; older saved ones shrink to one line.

        Every card is a dozen widgets plus its pixels, and Textual lays all of them out on
        each update, so a long session would get slower and bigger with every image. The
        note replaces the user's /imagine line too: it repeats the request. An unsaved
        card keeps its bytes (ctrl+s still works) but drops its pixels.
        """
        from g2d_tui.widgets.turns import Note

        shown = [card for card in self.query(ImageCard) if card.state == "shown"]  # type: ignore[attr-defined]
        archived = False
        for card in shown[:-LIVE_PICTURES]:
            if card.saved_path is None:
                card.release_picture()
                continue
            archived = True
            params = {"request": card.request, "path": display_path(card.saved_path)}
            note = Note(t("imagine.archived", **params), key="imagine.archived", params=params)
            await card.parent.mount(note, before=card)
            await card.remove()
            if card.asked_by is not None and card.asked_by.is_attached:
                await card.asked_by.remove()
        hooks.announce("cards_archived", archived=archived)


def _display_box() -> tuple[int, int]:
    """Pixels worth keeping for display: enough for the card at the terminal's cell size."""
    width, height = cell_size()
    return DISPLAY_COLUMNS * width, DISPLAY_ROWS * height
