"""GalleryScreen: every picture, newest first, as a grid of thumbnails, with a details pane.

The grid draws only what is in view and asks for the rest: records a page at a time from
the store, thumbnails decoded in threads (``services/thumbnails``, cached on disk) and turned
into half-cell strips there. The details pane shows the selected picture's recipe at once
and its preview (the terminal's best protocol) when decoded. The filter box runs the store's
picture filter. New seed and variations go back to the chat, where the imagine flow draws them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Footer, Input, Static
from textual.worker import get_current_worker

from g2d_tui.i18n import format_number, t
from g2d_tui.keys import bind
from g2d_tui.paths import display_path
from g2d_tui.screens.memory import MemoryScreen, Throttle
from g2d_tui.services.errors import ServiceError
from g2d_tui.widgets.picture_details import PictureDetails
from g2d_tui.widgets.thumbnail_grid import IMAGE_COLUMNS, IMAGE_ROWS, ThumbnailGrid

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import SystemCommand

    from g2d_tui.conversation import Picture
    from g2d_tui.services.history import PictureFilter

PAGE = 60
"""Records per page; a jump far ahead loads what it needs at once."""
THUMBNAIL_PIXELS = 64
"""Size of the cached thumbnails the grid is drawn from (16 x 16 pixels are shown)."""
PREVIEW_DELAY = 0.08
"""Seconds the cursor rests on a picture before its preview is decoded (not on every key repeat)."""


class GalleryScreen(MemoryScreen):
    """The pictures of the history."""

    BINDINGS = [
        bind("escape", "close", "close_gallery"),
        bind("ctrl+f", "find", "filter_gallery", show=False),
        bind("enter", "reuse_prompt", "reuse_prompt"),
        bind("ctrl+n", "new_seed", "new_seed"),
        bind("ctrl+g", "variations", "variations"),
        bind("ctrl+y", "copy_prompt", "copy_picture_prompt", show=False),
        bind("ctrl+o", "open_folder", "open_picture_folder", show=False),
        bind("delete", "remove", "remove_picture", show=False),  # also a button
        bind("ctrl+r", "import_pictures", "import_pictures", show=False),  # also a button
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.loaded = False
        """The first page (or the unavailable message) is up."""
        self.last_import = None
        """The ImportResult of the last import."""
        self._generation = 0
        self._preview_timer = None
        self._filter = Throttle(self, self._start_filter)

    def compose(self) -> ComposeResult:
        with Horizontal(id="gallery-top"):
            yield Static(t("gallery.title"), id="gallery-title")
            yield Static("", id="gallery-count")
            yield Input(placeholder=t("gallery.filter_placeholder"), id="gallery-filter", compact=True)
            yield Button(t("gallery.import"), id="gallery-import", compact=True)
        with Horizontal(id="gallery-body"):
            yield ThumbnailGrid(id="gallery-grid")
            yield PictureDetails(id="gallery-details")
        yield Static("", id="gallery-message")
        yield Footer(compact=True)

    @property
    def grid(self) -> ThumbnailGrid:
        return self.query_one(ThumbnailGrid)

    @property
    def details(self) -> PictureDetails:
        return self.query_one(PictureDetails)

    def on_mount(self) -> None:
        self.grid.focus()
        self.load_first_page("")

    # -- records -----------------------------------------------------------------------------

    def _picture_filter(self, text: str) -> PictureFilter | None:
        from g2d_tui.services.history import PictureFilter

        return PictureFilter(text=text) if text.strip() else None

    @work(group="gallery-list", exclusive=True, exit_on_error=False)
    async def load_first_page(self, text: str) -> None:
        history = await self.history()
        if history is None:
            self._unavailable()
            return
        chosen = self._picture_filter(text)
        try:
            total = await history.picture_count(chosen)
            page = await history.pictures(chosen, limit=PAGE)
        except ServiceError as error:
            self.report(error)
            return
        self._generation += 1
        self.filter_text = text
        self.grid.reset(total, page)
        self._show_state()
        self.loaded = True

    @on(ThumbnailGrid.MoreWanted)
    def _more_wanted(self, event: ThumbnailGrid.MoreWanted) -> None:
        event.stop()
        self.load_more(event.count, self._generation)

    @work(group="gallery-more", exclusive=True, exit_on_error=False)
    async def load_more(self, count: int, generation: int) -> None:
        history = self.app.history
        grid = self.grid
        if history is None:
            return
        chosen = self._picture_filter(self.filter_text)
        while generation == self._generation and grid.pictures and len(grid.pictures) < min(count, grid.total):
            try:
                page = await history.pictures(chosen, before=grid.pictures[-1], limit=max(PAGE, count - len(grid.pictures)))
            except ServiceError as error:
                self.report(error)
                return
            if generation != self._generation or not page:
                return
            grid.extend(page)

    # -- thumbnails and the preview ----------------------------------------------------------

    @on(ThumbnailGrid.ThumbnailsWanted)
    def _thumbnails_wanted(self, event: ThumbnailGrid.ThumbnailsWanted) -> None:
        event.stop()
        self.make_thumbnails(event.grid, event.pictures)

    @work(thread=True, group="thumbnails", exit_on_error=False)
    def make_thumbnails(self, grid: ThumbnailGrid, pictures: list[Picture]) -> None:
        """Decode (or read from the cache) and encode thumbnails, in a thread; the grid is
        only asked which are still wanted (a set it swaps whole) and given the results on
        the event loop."""
        from g2d_tui.services.thumbnails import ThumbnailError, thumbnail
        from g2d_tui.widgets.picture import halfcell_strips

        worker = get_current_worker()
        for picture in pictures:
            if worker.is_cancelled:
                return
            if picture.id is None or not grid.still_wanted(picture.id):
                continue
            try:
                image = thumbnail(picture.path, size=THUMBNAIL_PIXELS, sha256=picture.sha256)
                strips = halfcell_strips(image, IMAGE_COLUMNS, IMAGE_ROWS)
            except (ThumbnailError, OSError):
                strips = None
            try:
                self.app.call_from_thread(grid.set_thumbnail, picture.id, strips)
            except RuntimeError:  # the app is closing
                return

    @on(ThumbnailGrid.Highlighted)
    def _highlighted(self, event: ThumbnailGrid.Highlighted) -> None:
        event.stop()
        self.details.show(event.picture)
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = None
        if event.picture is not None:
            picture = event.picture
            self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self.load_preview(picture))
        else:
            self.run_worker(self.details.show_preview(None), group="gallery-preview", exclusive=True, exit_on_error=False)

    @work(group="gallery-preview", exclusive=True, exit_on_error=False)
    async def load_preview(self, picture: Picture) -> None:
        from g2d_tui.services.image_store import read_picture
        from g2d_tui.widgets.image_card import renderer_name
        from g2d_tui.widgets.picture import picture_widget, prepare_picture

        details = self.details
        columns, rows = details.preview_box()
        try:
            data = await asyncio.to_thread(read_picture, Path(picture.path))
            prepared = await asyncio.to_thread(prepare_picture, data, None, renderer_name(), columns, rows)
        except ServiceError as error:
            if details.picture is picture:
                await details.show_preview(None, error.message())
            return
        if details.picture is picture:
            await details.show_preview(picture_widget(prepared))

    # -- what is shown around the grid -------------------------------------------------------

    def _show_state(self) -> None:
        grid = self.grid
        count = self.query_one("#gallery-count", Static)
        count.update(Content(t("gallery.count", count=grid.total, number=format_number(grid.total))))
        if grid.total:
            text = ""
        elif self.filter_text.strip():
            text = t("gallery.nothing_matches", text=self.filter_text.strip())
        else:
            text = t("gallery.none_yet")
        message = self.query_one("#gallery-message", Static)
        message.update(Content(text))
        message.display = bool(text)
        self.query_one("#gallery-body").display = bool(grid.total)

    def _unavailable(self) -> None:
        self.loaded = True
        message = self.query_one("#gallery-message", Static)
        message.update(Content(self.unavailable_text()))
        message.display = True
        message.add_class("-unavailable")
        self.query_one("#gallery-body").display = False
        self.query_one("#gallery-filter", Input).disabled = True
        self.query_one("#gallery-import", Button).disabled = True

    def retranslate(self) -> None:
        self.query_one("#gallery-title", Static).update(t("gallery.title"))
        self.query_one("#gallery-filter", Input).placeholder = t("gallery.filter_placeholder")
        self.query_one("#gallery-import", Button).label = t("gallery.import")
        if self.loaded and self.app.history is not None:
            self._show_state()
        elif self.loaded:
            self._unavailable()

    # -- filter --------------------------------------------------------------------------------

    @on(Input.Changed, "#gallery-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    @on(Input.Submitted, "#gallery-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.grid.focus()

    def _start_filter(self, text: str) -> None:
        self.load_first_page(text)

    # -- actions -----------------------------------------------------------------------------

    @on(PictureDetails.Action)
    def _details_action(self, event: PictureDetails.Action) -> None:
        event.stop()
        actions = {
            "reuse": self.action_reuse_prompt, "new-seed": self.action_new_seed, "variations": self.action_variations,
            "copy": self.action_copy_prompt, "folder": self.action_open_folder, "remove": self.action_remove,
        }
        actions[event.action]()

    @on(Button.Pressed, "#gallery-import")
    def _import_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_import_pictures()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_find(self) -> None:
        self.query_one("#gallery-filter", Input).focus()

    def action_reuse_prompt(self) -> None:
        """The picture's request back in the chat's input, as an /imagine to send or edit."""
        picture = self.grid.picture
        chat = self.back_to_chat() if picture is not None else None
        if chat is None:
            return
        prompt = chat.prompt_input
        prompt.load_text(f"/imagine {picture.request or picture.prompt}")
        prompt.move_cursor(prompt.document.end)
        prompt.focus()

    def action_new_seed(self) -> None:
        self._draw_again(1)

    def action_variations(self) -> None:
        if self.grid.picture is None:
            return
        from g2d_tui.screens.confirm import ConfirmScreen

        def chosen(answer: str | None) -> None:
            if answer in ("1", "2", "3", "4"):
                self._draw_again(int(answer))

        answers = [(str(count), str(count), "primary" if count == 4 else "default") for count in (1, 2, 3, 4)]
        answers.append(("cancel", t("dialog.cancel"), "default"))
        self.app.push_screen(ConfirmScreen(t("gallery.variations_title"), t("gallery.variations_body"), answers), chosen)

    def _draw_again(self, count: int) -> None:
        """New pictures from the selected one's prompt, drawn in the chat."""
        picture = self.grid.picture
        chat = self.back_to_chat() if picture is not None else None
        if chat is None:
            return
        chat.run_worker(chat.pictures.from_picture(picture, count), group="imagine-start", exit_on_error=False)
        chat.prompt_input.focus()

    def action_copy_prompt(self) -> None:
        picture = self.grid.picture
        if picture is None:
            return
        self.app.copy_to_clipboard(picture.prompt)
        self.notify(t("imagine.prompt_copied"))

    def action_open_folder(self) -> None:
        picture = self.grid.picture
        if picture is None or not picture.path:
            return
        folder = Path(picture.path).parent
        self.notify(t("images_folder.location", path=display_path(folder)), title=t("images_folder.title"))
        self.open_folder(folder)

    @work(thread=True, group="gallery-folder", exit_on_error=False)
    def open_folder(self, folder: Path) -> None:
        from g2d_tui.services.folders import open_in_file_manager

        if not open_in_file_manager(folder):
            self.app.call_from_thread(self.notify, t("images_folder.cannot_open"), severity="warning")

    def action_remove(self) -> None:
        picture = self.grid.picture
        if picture is None:
            return
        from g2d_tui.screens.confirm import ConfirmScreen

        def decided(choice: str | None) -> None:
            if choice in ("remove", "delete"):
                self.remove_picture(picture, delete_file=choice == "delete")

        answers = [
            ("remove", t("gallery.remove_keep_file"), "primary"),
            ("delete", t("gallery.remove_delete_file"), "error"),
            ("cancel", t("dialog.cancel"), "default"),
        ]
        body = t("gallery.remove_body", path=display_path(picture.path))
        self.app.push_screen(ConfirmScreen(t("gallery.remove_title"), body, answers), decided)

    @work(group="gallery-edit", exit_on_error=False)
    async def remove_picture(self, picture: Picture, delete_file: bool) -> None:
        history = self.app.history
        if history is None or picture.id is None:
            return
        try:
            await history.remove_picture(picture.id, delete_file=delete_file)
        except ServiceError as error:
            self.report(error)
            return
        self.grid.drop(picture.id)
        self._show_state()
        self.notify(t("gallery.removed_and_deleted" if delete_file else "gallery.removed"))

    def action_import_pictures(self) -> None:
        if self.app.history is not None:
            self.import_pictures(Path(self.app.settings.images.save_dir).expanduser())

    @work(group="gallery-import", exclusive=True, exit_on_error=False)
    async def import_pictures(self, folder: Path) -> None:
        history = self.app.history
        if history is None:
            return
        self.notify(t("gallery.importing", path=display_path(folder)))
        try:
            result = await history.import_folder(folder)
        except ServiceError as error:
            self.report(error)
            return
        self.last_import = result
        self.notify(t("gallery.imported", added=result.added, skipped=result.skipped, unreadable=result.unreadable), timeout=10)
        self.load_first_page(self.filter_text)

    def system_commands(self) -> Iterable[SystemCommand]:
        """The palette's entries for this screen."""
        from g2d_tui.screens.palette import command

        yield command("reuse_prompt", self.action_reuse_prompt)
        yield command("new_seed", self.action_new_seed)
        yield command("variations", self.action_variations)
        yield command("copy_picture_prompt", self.action_copy_prompt)
        yield command("open_picture_folder", self.action_open_folder)
        yield command("remove_picture", self.action_remove)
        yield command("import_pictures", self.action_import_pictures)
        yield command("filter_gallery", self.action_find)
