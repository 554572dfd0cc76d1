"""The gallery (F6) against a real store and real PNG files: the grid and its details, the
filter, new seed and variations drawn in the chat, remove, import, lazy loading, no store."""

from __future__ import annotations

from textual.widgets import Input

from g2d_tui.conversation import Picture
from g2d_tui.i18n import t
from g2d_tui.paths import history_path
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.gallery import PAGE, GalleryScreen
from g2d_tui.services.history import HistoryStore
from g2d_tui.widgets.image_card import ImageCard
from g2d_tui.widgets.picture import HalfcellPicture
from g2d_tui.widgets.thumbnail_grid import TILE_HEIGHT, ThumbnailGrid
from tests.ui.memory_support import at, memory_app, open_screen, open_store, sample_store, utc, wait_for  # noqa: F401
from tests.unit.history_support import A1111_PARAMETERS, png


def all_pictures() -> list[Picture]:
    store = HistoryStore.open(history_path())
    try:
        return store.pictures(limit=1000)
    finally:
        store.close()


def details_text(screen: GalleryScreen) -> str:
    return screen.details.query_one("#details-text").render().plain


def grid_text(screen: GalleryScreen) -> str:
    grid = screen.grid
    return "\n".join(grid.render_line(y).text for y in range(grid.scrollable_content_region.height))


async def open_gallery(pilot) -> GalleryScreen:
    screen = await open_screen(pilot, "f6", GalleryScreen)
    grid = screen.grid
    await wait_for(pilot, lambda: grid.total == 0 or (grid._asked and not grid.thumbnails_pending), "the thumbnails in view")
    return screen


async def test_lists_pictures_newest_first_with_their_details(tmp_path, monkeypatch, utc):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    folder = tmp_path / "pics"
    data = sample_store(folder, pictures=4)
    newest = data["pictures"][-1]
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        screen = await open_gallery(pilot)
        grid = screen.grid
        assert grid.total == 4 and [picture.id for picture in grid.pictures] == [p.id for p in reversed(data["pictures"])]
        assert grid.thumbnails_held == 4
        drawn = grid_text(screen)
        assert "▀" * 16 in drawn and "friendly robot w" in drawn  # thumbnails and the newest prompt as caption
        text = details_text(screen)
        for expected in (newest.prompt, "blurry, lowres", "a robot gardener", "Seed\n1003", "Size\n32×32", "stabilityai/stable-diffusion-xl-base-1.0",
                         "huggingface · hf-inference", "2025-03-04 09:33", str(folder / "03-a-robot-gardener.png")):
            assert expected in text, expected
        await wait_for(pilot, lambda: screen.details.query(HalfcellPicture), "the preview")
        assert str(screen.query_one("#gallery-count").render()) == "4 pictures"
        await pilot.press("right")
        await wait_for(pilot, lambda: screen.details.picture.id == data["pictures"][2].id, "the next picture")
        assert "Seed\n1002" in details_text(screen)
        await pilot.click(ThumbnailGrid, offset=(3, 1 + TILE_HEIGHT + 3))  # the first tile of the second row
        await wait_for(pilot, lambda: grid.cursor == grid.columns, "the clicked picture")
        assert screen.details.picture.id == data["pictures"][3 - grid.columns].id


async def test_filter_shows_only_matching_pictures(tmp_path, utc):
    folder = tmp_path / "pics"
    data = sample_store(folder, pictures=5)
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        screen = await open_gallery(pilot)
        await pilot.press("ctrl+f")
        await pilot.press(*"lighthouse")
        await wait_for(pilot, lambda: screen.grid.total == 1, "one picture")
        assert screen.grid.pictures[0].id == data["pictures"][1].id
        assert "lighthouse on a cliff" in details_text(screen)
        assert str(screen.query_one("#gallery-count").render()) == "one picture"
        await pilot.press("ctrl+u")
        await pilot.press(*"unicorn")
        await wait_for(pilot, lambda: screen.grid.total == 0 and screen.filter_text == "unicorn", "no picture")
        assert t("gallery.nothing_matches", text="unicorn") in str(screen.query_one("#gallery-message").render())
        await pilot.press("ctrl+u")
        await wait_for(pilot, lambda: screen.grid.total == 5, "every picture again")


def imagine_settings(fake_gemini, fake_hf, folder):
    return memory_app(folder, fake_gemini.base_url, fake_hf.base_url, width=64, height=64)


async def test_new_seed_draws_the_prompt_again_with_the_picture_as_parent(tmp_path, fake_gemini, fake_hf, monkeypatch, utc):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    folder = tmp_path / "pics"
    source = sample_store(folder, pictures=1)["pictures"][0]
    async with imagine_settings(fake_gemini, fake_hf, folder).run_test(size=(100, 30)) as pilot:
        await open_gallery(pilot)
        await pilot.press("ctrl+n")
        chat = pilot.app.screen
        assert isinstance(chat, ChatScreen)
        await wait_for(pilot, lambda: chat.query(ImageCard) and chat.query_one(ImageCard).run.saved, "the new picture saved")
        card = chat.query_one(ImageCard)
        assert card.run.parent_id == source.id and card.prompt.prompt == source.prompt
        await wait_for(pilot, lambda: len(all_pictures()) == 2, "the new picture in the gallery")
    new = next(picture for picture in all_pictures() if picture.id != source.id)
    assert new.parent_id == source.id
    assert new.seed is not None and new.seed != source.seed
    assert new.prompt == source.prompt and new.negative_prompt.startswith("blurry, lowres")
    assert new.path != source.path and (folder / new.path.rsplit("/", 1)[-1]).is_file()
    assert fake_gemini.requests_to("generate") == []  # the prompt was there: Gemini was not asked
    assert fake_hf.requests[-1].json["inputs"] == source.prompt
    assert fake_hf.requests[-1].json["parameters"]["seed"] == new.seed


async def test_variations_make_as_many_pictures_as_chosen(tmp_path, fake_gemini, fake_hf, monkeypatch, utc):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    folder = tmp_path / "pics"
    source = sample_store(folder, pictures=1)["pictures"][0]
    async with imagine_settings(fake_gemini, fake_hf, folder).run_test(size=(100, 30)) as pilot:
        screen = await open_gallery(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "how many")
        await pilot.click("#answer-3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), "the chat")
        chat = pilot.app.screen
        await wait_for(pilot, lambda: chat.query(ImageCard) and len(chat.query_one(ImageCard).run.saved) == 3, "three pictures")
        assert len(chat.query_one(ImageCard).run.displays) == 3  # side by side on one card
        await wait_for(pilot, lambda: len(all_pictures()) == 4, "three new pictures in the gallery")
        assert screen is not pilot.app.screen
    children = [picture for picture in all_pictures() if picture.id != source.id]
    assert {picture.parent_id for picture in children} == {source.id}
    assert len({picture.seed for picture in children} | {source.seed}) == 4


async def test_remove_keeps_the_file_unless_asked_to_delete_it(tmp_path, utc):
    folder = tmp_path / "pics"
    data = sample_store(folder, pictures=3)
    newest, middle = data["pictures"][2], data["pictures"][1]
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        screen = await open_gallery(pilot)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
        assert "03-" not in str(pilot.app.screen.query_one("#confirm-body").render())
        assert "02-a-bowl-of-ramen.png" in str(pilot.app.screen.query_one("#confirm-body").render())
        await pilot.click("#answer-cancel")
        await pilot.pause()
        assert screen.grid.total == 3
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
        await pilot.click("#answer-remove")
        await wait_for(pilot, lambda: screen.grid.total == 2, "the picture to go")
        assert newest.id not in [picture.id for picture in screen.grid.pictures]
        assert screen.grid.picture.id == middle.id  # the cursor moved to the next one
        assert middle.prompt in details_text(screen)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
        await pilot.click("#answer-delete")
        await wait_for(pilot, lambda: screen.grid.total == 1, "the second picture to go")
    assert [picture.id for picture in all_pictures()] == [data["pictures"][0].id]
    assert (folder / newest.path.rsplit("/", 1)[-1]).is_file()  # kept
    assert not (folder / middle.path.rsplit("/", 1)[-1]).exists()  # deleted


async def test_import_adds_the_pictures_of_the_images_folder(tmp_path, utc):
    folder = tmp_path / "pics"
    sample_store(folder, pictures=2)  # in the gallery already (and their files carry no recipe)
    (folder / "a1111-fox.png").write_bytes(png(texts={"parameters": A1111_PARAMETERS}))
    (folder / "a1111-owl.png").write_bytes(png(width=20, texts={"parameters": "an owl at night\nSteps: 20, Seed: 5, Size: 20x16"}))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        screen = await open_gallery(pilot)
        assert screen.grid.total == 2
        await pilot.click("#gallery-import")
        await wait_for(pilot, lambda: screen.last_import is not None and screen.grid.total == 4, "the import")
        result = screen.last_import
        assert (result.added, result.unreadable) == (2, 1) and result.skipped == 2
        said = [str(note.message) for note in pilot.app._notifications]
        assert any("2 added, 2 skipped" in message and "1 unreadable" in message for message in said), said
        prompts = {picture.prompt for picture in screen.grid.pictures}
        assert "an owl at night" in prompts and any("red fox in the snow" in prompt for prompt in prompts)
        await pilot.press("ctrl+r")  # again: nothing new
        await wait_for(pilot, lambda: screen.last_import is not result, "the second import")
        assert screen.last_import.added == 0 and screen.grid.total == 4


async def test_loads_lazily_and_keeps_only_thumbnails_near_the_view(tmp_path, utc):
    folder = tmp_path / "pics"
    count = PAGE * 5
    store = open_store()
    try:
        from tests.ui.memory_support import add_picture

        made = [add_picture(store, folder, index) for index in range(24)]
        store.add_pictures([Picture(path=f"/nowhere/{n}.png", prompt=f"picture {n}", created=at(100 + n)) for n in range(count - 24)])
    finally:
        store.close()
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f6", GalleryScreen)
        grid = screen.grid
        assert grid.total == count and len(grid.pictures) == PAGE  # one page of records
        screen_of_tiles = grid.columns * (grid.scrollable_content_region.height // TILE_HEIGHT + 1)
        await wait_for(pilot, lambda: grid._asked and not grid.thumbnails_pending, "the first thumbnails")
        assert len(grid._thumbnails) <= 2 * screen_of_tiles  # the view and a screen below, not the page
        assert "✗" in grid_text(screen)  # files that are gone show a mark
        await pilot.press("end")
        await wait_for(pilot, lambda: grid.picture is not None and grid.cursor == count - 1, "the oldest picture")
        assert grid.picture.id == made[0].id and len(grid.pictures) == count
        await wait_for(pilot, lambda: grid.thumbnails_held and not grid.thumbnails_pending, "the last thumbnails")
        assert len(grid._thumbnails) <= 3 * screen_of_tiles  # the newest ones were dropped
        assert not any(picture.id in grid._thumbnails for picture in grid.pictures[:PAGE])
        assert "photo of a red fox" in details_text(screen)


async def test_reuse_and_copy_prompt(tmp_path, utc):
    folder = tmp_path / "pics"
    data = sample_store(folder, pictures=6)
    async with memory_app(folder).run_test(size=(100, 30)) as pilot:
        await open_gallery(pilot)
        await pilot.press("ctrl+y")
        assert pilot.app.clipboard == data["pictures"][-1].prompt
        await pilot.press("enter")
        chat = pilot.app.screen
        assert isinstance(chat, ChatScreen)
        assert chat.prompt_input.text == "/imagine a paper boat"
        assert chat.focused is chat.prompt_input


async def test_without_a_store_the_gallery_says_why(tmp_path):
    history_path().mkdir(parents=True)
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f6", GalleryScreen)
        message = str(screen.query_one("#gallery-message").render())
        assert message.startswith("The history is not available in this session:") and "not a history file" in message
        assert not screen.query_one("#gallery-body").display
        assert screen.query_one("#gallery-filter", Input).disabled
        for key in ("ctrl+n", "ctrl+g", "delete", "ctrl+r", "enter", "ctrl+y"):
            await pilot.press(key)
        await pilot.pause()
        assert pilot.app.screen is screen
        titles = [command.title for command in pilot.app.get_system_commands(screen)]
        assert t("command.import_pictures") in titles and t("command.new_seed") in titles
