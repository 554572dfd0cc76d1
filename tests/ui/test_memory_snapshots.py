"""SVG snapshots of the conversations screen and the gallery, in English and Portuguese, and
a check that the Portuguese screens hold no English. Review the report before --snapshot-update.

Deterministic: fixed dates shown in UTC, tiny generated PNGs under ``~/Pictures`` (paths show
as ``~/…``), half-cell pictures, no blinking cursor, no toasts.
"""

from __future__ import annotations

import pytest

from g2d_tui import i18n
from g2d_tui.screens.conversations import ConversationsScreen
from g2d_tui.screens.gallery import GalleryScreen
from g2d_tui.widgets.picture import HalfcellPicture
from tests.ui.helpers import quiet
from tests.ui.memory_support import memory_app, open_screen, sample_store, utc, wait_for  # noqa: F401
from tests.ui.test_i18n_ui import assert_portuguese, relabel, screen_text, ui_texts

SIZE = (100, 30)


@pytest.fixture
def pictures_folder(isolated_home, monkeypatch, utc):
    monkeypatch.setenv("G2D_TUI_IMAGE_RENDERER", "halfcell")
    folder = isolated_home / "Pictures" / "g2d-tui"
    sample_store(folder, pictures=5)
    return folder


async def show_conversations(pilot) -> ConversationsScreen:
    screen = await open_screen(pilot, "f5", ConversationsScreen)
    await relabel(pilot)
    await wait_for(pilot, lambda: screen.loaded and screen.option_list.option_count == 3, "the list")
    quiet(pilot.app)
    await pilot.pause()
    return screen


async def show_gallery(pilot) -> GalleryScreen:
    screen = await open_screen(pilot, "f6", GalleryScreen)
    grid = screen.grid
    await pilot.press("right")  # the cursor on the second picture: the grid shows both states
    await wait_for(pilot, lambda: grid._asked and not grid.thumbnails_pending, "the thumbnails")
    await wait_for(pilot, lambda: screen.details.picture is grid.picture and screen.details.query(HalfcellPicture), "the preview")
    await relabel(pilot)
    quiet(pilot.app)
    await pilot.pause()
    return screen


def test_conversations_screen(snap_compare, pictures_folder):
    async def run_before(pilot):
        await show_conversations(pilot)

    assert snap_compare(memory_app(pictures_folder), terminal_size=SIZE, run_before=run_before)


def test_conversations_screen_search(snap_compare, pictures_folder):
    async def run_before(pilot):
        screen = await show_conversations(pilot)
        await pilot.press("ctrl+f", *"wicks")
        await wait_for(pilot, lambda: screen.hits is not None and len(screen.hits) == 1, "the hit")
        quiet(pilot.app)
        await pilot.pause()

    assert snap_compare(memory_app(pictures_folder), terminal_size=SIZE, run_before=run_before)


def test_gallery_screen(snap_compare, pictures_folder):
    async def run_before(pilot):
        await show_gallery(pilot)

    assert snap_compare(memory_app(pictures_folder), terminal_size=SIZE, run_before=run_before)


def test_conversations_screen_pt_br(snap_compare, pictures_folder):
    i18n.set_language("pt-BR")

    async def run_before(pilot):
        await show_conversations(pilot)

    assert snap_compare(memory_app(pictures_folder), terminal_size=SIZE, run_before=run_before)


def test_gallery_screen_pt_br(snap_compare, pictures_folder):
    i18n.set_language("pt-BR")

    async def run_before(pilot):
        await show_gallery(pilot)

    assert snap_compare(memory_app(pictures_folder), terminal_size=SIZE, run_before=run_before)


async def test_both_screens_are_all_portuguese(pictures_folder):
    i18n.set_language("pt-BR")
    async with memory_app(pictures_folder).run_test(size=SIZE) as pilot:
        screen = await show_conversations(pilot)
        assert_portuguese(ui_texts(screen), screen_text(pilot.app), expected=["Conversas", "Buscar conversas", "2 turnos", "Voltar", "Renomear"])
        await pilot.press("escape")
        screen = await show_gallery(pilot)
        rendered = screen_text(pilot.app)
        texts = [text for text in ui_texts(screen) if not text.startswith(("photo of", "lighthouse", "steaming", "friendly", "busy"))]
        assert_portuguese(texts, rendered, expected=["Galeria", "5 imagens", "Semente", "Usar prompt", "Nova semente", "Variações", "Importar"])
