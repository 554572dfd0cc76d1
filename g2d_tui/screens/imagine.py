"""The /imagine flow: prompt -> picture(s) -> screen -> folder, as a component of the chat.

:class:`ImagineFlow` runs its work as workers of the screen it belongs to (group
``imagine``, several at once), keeps each run's state in the entry's :class:`ImageRun`,
and updates the entry's card when the card is on screen.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import TYPE_CHECKING

from g2d_tui import hooks
from g2d_tui.conversation import Turn
from g2d_tui.downloads import offer_download
from g2d_tui.i18n import t
from g2d_tui.messages import ImageSaved
from g2d_tui.paths import display_path
from g2d_tui.services.errors import ServiceError, unexpected
from g2d_tui.services.settings_services import image_request, picture_record
from g2d_tui.widgets.chat_log import Entry
from g2d_tui.widgets.image_card import ImageCard, ImageRun, renderer_name, show_progress
from g2d_tui.widgets.picture import picture_widget, prepare_picture

if TYPE_CHECKING:
    from textual.widget import Widget
    from textual.worker import Worker

    from g2d_tui.conversation import Picture
    from g2d_tui.screens.chat import ChatScreen
    from g2d_tui.services.images.base import GeneratedImage, Progress

NOTICES = {"gemini": "imagine.gemini_notice"}
"""What a card says about pictures from a backend (Gemini: paid usage, SynthID watermark)."""
MAX_VARIATIONS = 4
DEFAULT_VARIATIONS = 4
"""Pictures the variations button makes, side by side."""


def new_seeds(count: int, avoid: int | None = None) -> list[int]:
    """``count`` random seeds, none equal to ``avoid`` (the seed being varied)."""
    seeds: list[int] = []
    while len(seeds) < count:
        seed = random.randrange(2**32)
        if seed != avoid:
            seeds.append(seed)
    return seeds


class ImagineFlow:
    """Runs the image turns of one chat screen."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self._pictures_prepared: Worker | None = None

    @property
    def app(self):
        return self.screen.app

    # -- starting ------------------------------------------------------------------------

    async def imagine(self, request: str, typed: str, asked_by: Entry | None = None) -> Entry:
        """``/imagine request``: Gemini writes the prompt, the backend draws it."""
        return await self._start(ImageRun(request=request, typed=typed, asked_by=asked_by))

    async def again(self, entry: Entry, count: int = 1) -> Entry:
        """The same prompt with new seeds: one picture (new seed) or ``count`` side by side."""
        source: ImageRun = entry.run
        count = max(1, min(MAX_VARIATIONS, count))
        run = ImageRun(
            request=source.request,
            prompt=source.prompt,
            count=count,
            seeds=[random.randrange(2**32) for _ in range(count)],
            parent_id=next((picture.id for picture in entry.turn.pictures if picture.id is not None), None),
        )
        return await self._start(run)

    async def edit(self, source: Entry, instruction: str, typed: str, asked_by: Entry | None = None) -> Entry:
        """``/edit instruction`` on the picture of ``source`` (an image entry): a new card
        whose picture records its parent.

        Raises:
            ServiceError: ``imagine.edit_nothing`` when ``source`` has no picture (any more).
        """
        from g2d_tui.services.gemini import ImagePrompt
        from g2d_tui.services.image_store import read_picture

        run: ImageRun = source.run
        if run.images:
            image = run.images[-1]
            picture = (image.data, image.mime, image.request.source_request or "")
        elif run.saved:
            path = Path(run.saved[-1])
            picture = (await asyncio.to_thread(read_picture, path), "image/png", path.name)
        else:
            raise ServiceError("imagine.edit_nothing")
        parent_id = next((picture.id for picture in reversed(source.turn.pictures) if picture.id is not None), None)
        edit = ImageRun(request=instruction, typed=typed, prompt=ImagePrompt(instruction, ""), edit_of=picture,
                        parent_id=parent_id, asked_by=asked_by)
        return await self._start(edit)

    def latest_picture(self, focused=None) -> Entry | None:
        """The image entry a picture action is about: the focused card's, else the newest with a picture."""
        entries = [entry for entry in self.screen.log_view.entries if entry.role == "image" and (entry.run.images or entry.run.saved)]
        chosen = next((entry for entry in entries if focused is not None and entry.widget is not None and focused in entry.widget.walk_children()), None)
        return chosen or (entries[-1] if entries else None)

    async def from_picture(self, picture: Picture, count: int = 1) -> Entry:
        """A gallery picture's prompt drawn again with new seeds: one picture (new seed) or
        ``count`` (1-4) side by side. Gemini is not asked; the card and the pictures it saves
        record ``picture`` as their parent."""
        from g2d_tui.services.gemini import ImagePrompt

        count = max(1, min(MAX_VARIATIONS, count))
        extra = self.app.settings.images.negative_prompt
        negative = picture.negative_prompt
        if extra and negative.endswith(extra):  # the run adds the settings' part again
            negative = negative[: -len(extra)].rstrip(", ")
        run = ImageRun(
            request=picture.request or picture.prompt,
            prompt=ImagePrompt(picture.prompt, negative),
            count=count,
            seeds=new_seeds(count, avoid=picture.seed),
            parent_id=picture.id,
        )
        self.screen.log_view.anchor()
        return await self._start(run)

    async def retry(self, entry: Entry) -> None:
        """Run a failed or cancelled card again, in place."""
        old: ImageRun = entry.run
        entry.run = ImageRun(request=old.request, typed=old.typed, prompt=old.prompt, count=old.count, seeds=old.seeds, parent_id=old.parent_id)
        entry.turn.state = "streaming"
        self._launch(entry)
        card = self._card(entry)
        if card is not None:
            card.run = entry.run
            card.sync()

    async def _start(self, run: ImageRun) -> Entry:
        turn = Turn("image", run.request, state="streaming", model=self.app.settings.images.backend)
        entry = await self.screen.log_view.add(Entry(turn, run=run))
        self._launch(entry)
        return entry

    def _launch(self, entry: Entry) -> None:
        self.screen.imagining += 1
        renderer = renderer_name()
        if self._pictures_prepared is None and renderer in ("sixel", "tgp"):
            self._pictures_prepared = self.screen.run_worker(
                lambda: self._prepare_pictures(renderer), thread=True, group="prepare-pictures", exit_on_error=False
            )
        self.screen.run_worker(self._run(entry, renderer), group="imagine", exit_on_error=False)

    def _card(self, entry: Entry) -> ImageCard | None:
        widget = self.screen.log_view.widget_of(entry)
        return widget if isinstance(widget, ImageCard) else None

    def _set_status(self, entry: Entry, state: str, key: str, **params: object) -> None:
        run: ImageRun = entry.run
        card = self._card(entry)
        if card is not None:
            card.set_status(state, key, **params)
        else:
            run.state, run.status_key, run.status_params = state, key, params

    def _sync(self, entry: Entry) -> None:
        card = self._card(entry)
        if card is not None:
            card.sync()

    # -- the run -------------------------------------------------------------------------

    async def _run(self, entry: Entry, renderer: str) -> None:
        """Ask Gemini for a prompt (unless the run has one), draw, show, save."""
        run = entry.run
        try:
            await self.app.key_guard.confirm(chat=run.prompt is None, images=True)  # plain http elsewhere: the user says first
            if run.edit_of is not None:
                await self._edit(entry, renderer)
            else:
                await self._draw(entry, renderer)
            entry.turn.state = "complete"
        except ServiceError as error:
            self._failed(entry, error)
            return
        except Exception as error:  # noqa: BLE001 - a bug: said on the card, the app goes on
            self._failed(entry, unexpected(error))
            return
        except asyncio.CancelledError:
            run.state = "cancelled"
            entry.turn.state = "cancelled"
            self._set_status(entry, "cancelled", "imagine.cancelled")
            raise
        finally:
            self.screen.imagining -= 1
            if run.asked_by is not None:
                self.screen.turn_ended(run.asked_by)
            self.screen.turn_ended(entry)
        hooks.announce("cards_archived", archived=False)

    async def _draw(self, entry: Entry, renderer: str) -> None:
        """The prompt (unless the run has one), then each seed's picture."""
        app, run = self.app, entry.run
        images = app.settings.images
        if run.prompt is None:
            self._set_status(entry, "prompting", "imagine.writing_prompt")
            with app.only_waiting():
                run.prompt = await app.gemini.write_image_prompt(run.request, app.settings.gemini.max_prompt_tokens)
            self._sync(entry)
        self._set_status(entry, "generating", "imagine.generating")
        seeds = run.seeds or [images.seed] * run.count
        for seed in seeds:
            request = image_request(images, run.prompt, seed=seed, source_request=run.request)
            image = await self._generate(entry, lambda report: app.image_backend.generate(request, on_progress=report))
            await self._received(entry, image, renderer)

    async def _edit(self, entry: Entry, renderer: str) -> None:
        """/edit: the picture and the instruction go to Gemini's image model; a new picture comes back."""
        run = entry.run
        data, mime, parent = run.edit_of
        backend = self.app.image_backend
        if not hasattr(backend, "edit"):
            raise ServiceError("imagine.edit_needs_gemini")
        self._set_status(entry, "generating", "imagine.editing", parent=parent)
        image = await self._generate(entry, lambda report: backend.edit(data, mime, run.request, parent, on_progress=report))
        await self._received(entry, image, renderer)

    async def _received(self, entry: Entry, image: GeneratedImage, renderer: str) -> None:
        """Show a picture that came, and save it when the settings say so."""
        run = entry.run
        run.images.append(image)
        run.notice_key = NOTICES.get(image.backend, "")
        run.provider = image.provider or run.provider
        card = self._card(entry)
        if card is not None:
            card.decoding()
        await self._show(entry, renderer)
        seed = image.seed if image.honoured("seed") else "—"
        params = {"width": image.width, "height": image.height, "seed": seed, "model": image.model}
        if run.provider:
            self._set_status(entry, "shown", "imagine.done_via", provider=run.provider, **params)
        else:
            self._set_status(entry, "shown", "imagine.done", **params)
        if self.app.settings.images.auto_save:
            await self._save(entry, image)

    async def _generate(self, entry: Entry, call) -> GeneratedImage:
        """``call(on_progress)`` (a backend request), its progress shown on the entry's card."""
        app = self.app

        def on_progress(progress: Progress) -> None:
            # The bytes are in: checking and decoding them is work a pause would hold up.
            app.note_waiting(progress.kind != "checking")
            show_progress(entry.run, progress, lambda state, key, **params: self._set_status(entry, state, key, **params))

        with app.only_waiting():
            return await call(on_progress)

    def _failed(self, entry: Entry, error: ServiceError) -> None:
        run: ImageRun = entry.run
        entry.turn.state = "failed"
        entry.turn.detail = error.message()
        self._set_status(entry, "error", error.key, **error.params)
        self.screen.notify(error.message(), severity="error", timeout=8)
        if run.typed:
            self.screen.prompt_failed(run.asked_by, run.typed)

    # -- pictures on screen ----------------------------------------------------------------

    def _prepare_pictures(self, renderer: str) -> None:
        """Import and build the Sixel/Kitty picture widgets while Gemini writes the first
        prompt: done as the first picture arrived, on the event loop, it took ~25 ms of it."""
        graphics_picture_class = hooks.slot("graphics_picture_class")
        widget_class = graphics_picture_class(renderer) if graphics_picture_class is not None else None
        if widget_class is not None:
            self.app.call_from_thread(hooks.announce, "widgets_expected", app=self.app, widget_classes=widget_class.mounted_classes)

    async def _show(self, entry: Entry, renderer: str) -> None:
        """Decode and scale the run's pictures in a thread and mount them on its card."""
        card = self._card(entry)
        if card is None:
            return  # scrolled away: decoded when it comes back into view
        preparing = self._pictures_prepared
        if preparing is not None and not preparing.is_finished:
            try:  # the pictures need what it prepares; it is usually done long before
                await preparing.wait()
            except Exception:  # noqa: BLE001 - failed or cancelled: the picture imports it itself
                pass
        widgets = await self._picture_widgets(entry.run, renderer)
        card = self._card(entry)
        if card is not None:
            await card.show_pictures(widgets)
            hooks.announce("picture_shown", screen=self.screen)

    async def _picture_widgets(self, run: ImageRun, renderer: str) -> list[Widget]:
        from g2d_tui.services.image_store import read_picture

        columns, rows = self._picture_box(max(1, len(run.saved) + len(run.images)))
        prepared = []
        for path in run.saved:
            try:
                data = await asyncio.to_thread(read_picture, Path(path))
            except ServiceError:
                continue  # moved or deleted since: its path still shows on the card
            prepared.append(await asyncio.to_thread(prepare_picture, data, None, renderer, columns, rows))
        for image in run.images:
            prepared.append(await asyncio.to_thread(prepare_picture, image.data, image, renderer, columns, rows))
        return [picture_widget(item) for item in prepared]

    def _picture_box(self, count: int) -> tuple[int, int]:
        """At most this many columns and rows for each picture: the card's width shared, 60% of the height."""
        columns = max(8, min(64, (self.app.size.width - 8) // count - 1))
        return columns, max(4, int(self.app.size.height * 0.6))

    async def pictures_wanted(self, card: ImageCard) -> None:
        """A card came back into view: decode its pictures again (from memory or their files)."""
        run = card.run
        if run.displays is not None or not (run.images or run.saved):
            return
        try:
            widgets = await self._picture_widgets(run, renderer_name())
        except ServiceError:
            return
        if card.is_attached and card.run is run:
            await card.show_pictures(widgets)

    # -- saving ----------------------------------------------------------------------------

    async def save_entry(self, entry: Entry) -> None:
        for image in list(entry.run.images):
            await self._save(entry, image)

    async def _save(self, entry: Entry, image: GeneratedImage) -> None:
        from g2d_tui.services.image_store import save_picture

        run: ImageRun = entry.run
        folder = Path(self.app.settings.images.save_dir).expanduser()
        try:
            path, digest, size = await asyncio.to_thread(save_picture, image, folder)
        except ServiceError as error:
            run.save_error = error
            self._sync(entry)
            self.screen.notify(error.message(), severity="error", timeout=10)
            return
        run.save_error = None
        run.saved.append(str(path))
        if image in run.images:
            run.images.remove(image)  # the file has the bytes now; keep memory small
        entry.turn.pictures.append(picture_record(image, path, request=run.request, digest=digest, size=size, parent_id=run.parent_id))
        self._sync(entry)
        self.screen.post_message(ImageSaved(path))
        self.screen.notify(t("imagine.saved", path=display_path(path)))
        try:
            await offer_download(self.app, path)  # in a browser (g2d-tui serve): the file comes down too
        except OSError:
            pass  # the picture is saved on the server; the download was a courtesy
        self.screen.picture_saved(entry, entry.turn.pictures[-1])

    async def save_all(self) -> None:
        for entry in self.screen.log_view.entries:
            if entry.role == "image" and entry.run is not None and entry.run.images:
                await self.save_entry(entry)

    def unsaved_count(self) -> int:
        return sum(entry.run.unsaved for entry in self.screen.log_view.entries if entry.role == "image" and entry.run is not None)
