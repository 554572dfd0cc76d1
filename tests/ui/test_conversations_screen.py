"""The conversations screen (F5) against a real store: list and pages, search, open, rename,
delete, export, and the app without a store."""

from __future__ import annotations

from urllib.parse import unquote

from textual.widgets import Input

from g2d_tui.conversation import Picture, Turn
from g2d_tui.i18n import t
from g2d_tui.screens.chat import ChatScreen
from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.conversations import PAGE, ConversationsScreen
from g2d_tui.screens.text_prompt import TextPromptScreen
from g2d_tui.services.history import HistoryStore
from g2d_tui.paths import history_path
from tests.ui.helpers import entries, note_texts, send, settle
from tests.ui.memory_support import (
    add_conversation,
    at,
    memory_app,
    open_screen,
    open_store,
    sample_store,
    utc,  # noqa: F401 - fixture
    wait_for,
    write_png,
)


def option_text(screen: ConversationsScreen, index: int) -> str:
    return screen.option_list.get_option_at_index(index).prompt.plain


def stored(conversation_id: int):
    store = HistoryStore.open(history_path())
    try:
        return store.get_conversation(conversation_id), store.all_turns(conversation_id)
    finally:
        store.close()


async def test_lists_newest_first_a_page_at_a_time(tmp_path, utc):
    store = open_store()
    count = PAGE * 2 + 20
    try:
        made = [add_conversation(store, [("user", f"question number {n}"), ("model", f"answer {n}")], start=n * 10) for n in range(count)]
        fox = add_conversation(store, [("image", "a red fox")], start=count * 10, title="Foxes")
        store.add_turn(fox.id, Turn("image", "a red fox", created=at(count * 10 + 1), pictures=[Picture(path="/p/fox.png", prompt="fox")]))
    finally:
        store.close()
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        assert len(screen.records) == PAGE  # one page, not every row
        assert screen.records[0].id == fox.id and screen.records[1].id == made[-1].id
        first = option_text(screen, 0)
        assert first.splitlines() == ["Foxes", f"{at(count * 10 + 1):%Y-%m-%d %H:%M} · 2 turns · one picture"]
        assert option_text(screen, 1).splitlines()[0] == f"question number {count - 1}"
        assert str(screen.query_one("#conversations-count").render()) == f"{count + 1:,} conversations"
        screen.option_list.focus()
        await pilot.press("end")  # the end of the first page asks for the next one
        await wait_for(pilot, lambda: len(screen.records) == 2 * PAGE, "the second page")
        await pilot.press("end")
        await wait_for(pilot, lambda: len(screen.records) == count + 1, "the last page")
        await pilot.press("end")
        await pilot.pause()
        assert screen.exhausted and len(screen.records) == count + 1
        ids = [record.id for record in screen.records]
        assert ids == [fox.id, *[conversation.id for conversation in reversed(made)]]
        assert screen.option_list.option_count == count + 1


async def test_search_finds_a_word_of_a_second_turn_and_highlights_it(tmp_path, utc):
    data = sample_store(tmp_path / "pics")
    lighthouse = data["conversations"][1]
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        await pilot.press("ctrl+f")
        assert screen.focused is screen.query_one("#conversation-search", Input)
        await pilot.press(*"wicks")
        await wait_for(pilot, lambda: screen.hits is not None and len(screen.records) == 1, "one hit")
        assert screen.records[0].id == lighthouse.id
        hit = screen.hits[0]
        assert hit.turn_seq == 1  # the reply, not the question
        lines = screen.option_list.get_option_at_index(0).prompt
        title, _meta, snippet = lines.plain.splitlines()
        assert title == "Tell me about lighthouses"
        assert "wicks" in snippet
        marked = [lines.plain[span.start : span.end] for span in lines.spans if "underline" in str(span.style)]
        assert marked == ["wicks"]
        assert str(screen.query_one("#conversations-count").render()) == "one found"
        await pilot.press("ctrl+u")  # clear the box: every conversation again
        await wait_for(pilot, lambda: screen.hits is None and len(screen.records) == 3, "the full list")
        await pilot.press(*"zebra")
        await wait_for(pilot, lambda: screen.hits == [], "no hit")
        assert t("conversations.nothing_found") in str(screen.query_one("#conversations-message").render())


async def test_open_brings_the_conversation_into_the_chat_and_gemini_gets_its_turns(tmp_path, fake_gemini, utc):
    store = open_store()
    try:
        ada = add_conversation(store, [("user", "My name is Ada"), ("model", "Nice to meet you, Ada.")], start=0)
        add_conversation(store, [("user", "Something else"), ("model", "Sure.")], start=60)
    finally:
        store.close()
    async with memory_app(tmp_path / "pics", fake_gemini.base_url).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await send(pilot, "an unrelated first message")  # the chat had its own conversation
        await settle(pilot)
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        # newest first: the one just had, "Something else", then Ada's
        assert [record.id for record in screen.records][1:] == [ada.id + 1, ada.id]
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: screen.selected().id == ada.id, "Ada's conversation")
        await pilot.press("enter")
        chat = pilot.app.screen
        assert isinstance(chat, ChatScreen)
        await wait_for(pilot, lambda: [entry.turn.text for entry in entries(pilot.app) if entry.role != "note"] == ["My name is Ada", "Nice to meet you, Ada."], "the turns in the log")
        assert "unrelated" not in " ".join(entry.turn.text for entry in entries(pilot.app))
        await send(pilot, "What is my name?")
        await settle(pilot)
        turns = fake_gemini.requests_to("stream")[-1].turns
        assert turns == [("user", "My name is Ada"), ("model", "Nice to meet you, Ada."), ("user", "What is my name?")]
        await wait_for(pilot, lambda: chat.session.conversation is not None and chat.session.conversation.id == ada.id, "the session on Ada's")
    _conversation, stored_turns = stored(ada.id)
    assert [turn.text for turn in stored_turns][:3] == ["My name is Ada", "Nice to meet you, Ada.", "What is my name?"]
    assert len(stored_turns) == 4  # and the reply


async def test_rename_with_a_dialog_shows_the_title_as_typed(tmp_path, utc):
    data = sample_store(tmp_path / "pics")
    ramen = data["conversations"][2]
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        assert screen.selected().id == ramen.id
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the rename dialog")
        field = pilot.app.screen.query_one(Input)
        assert field.value == "Ramen at home"
        field.value = "[b]Noodles[/b] & broth"  # looks like markup: shown as typed
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen is screen and screen.records[0].title == "[b]Noodles[/b] & broth", "the rename")
        assert option_text(screen, 0).splitlines()[0] == "[b]Noodles[/b] & broth"
        assert stored(ramen.id)[0].title == "[b]Noodles[/b] & broth"
        await pilot.press("ctrl+r")  # emptied: named after its first request again
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the rename dialog")
        pilot.app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.records[0].title == "How long do I boil ramen noodles?", "the first request as title")
        assert option_text(screen, 0).splitlines()[0] == "How long do I boil ramen noodles?"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the rename dialog")
        await pilot.press("escape")  # cancelled: nothing changes
        await pilot.pause()
    assert stored(ramen.id)[0].title == "How long do I boil ramen noodles?"


async def test_delete_asks_first_and_a_deleted_open_conversation_starts_a_new_chat(tmp_path, fake_gemini, utc):
    data = sample_store(tmp_path / "pics")
    ramen = data["conversations"][2]
    async with memory_app(tmp_path / "pics", fake_gemini.base_url).run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
        assert "Ramen at home" in str(pilot.app.screen.query_one("#confirm-body").render())
        await pilot.click("#answer-cancel")
        await wait_for(pilot, lambda: pilot.app.screen is screen, "the list again")
        assert stored(ramen.id)[0] is not None and len(screen.records) == 3
        await pilot.press("enter")  # open it in the chat, then delete it from here
        chat = pilot.app.screen
        await wait_for(pilot, lambda: chat.session.conversation is not None and chat.session.conversation.id == ramen.id, "the chat on it")
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the question")
        await pilot.click("#answer-delete")
        await wait_for(pilot, lambda: len(screen.records) == 2, "the row to go")
        assert ramen.id not in [record.id for record in screen.records]
        assert str(screen.query_one("#conversations-count").render()) == "2 conversations"
        await pilot.press("escape")
        assert pilot.app.screen is chat
        await wait_for(pilot, lambda: "Gemini has forgotten" in note_texts(pilot.app), "the new chat")
        assert chat.session.conversation is None
        assert not [entry for entry in entries(pilot.app) if entry.role != "note"]
    assert stored(ramen.id)[0] is None


async def test_export_writes_markdown_and_json_with_relative_picture_links(tmp_path, utc):
    pictures = tmp_path / "home" / "Pictures" / "g2d-tui"
    path, digest, size = write_png(pictures, "fox.png")
    store = open_store()
    try:
        fox = add_conversation(store, [("user", "Draw me a fox")], start=0)
        store.add_turn(fox.id, Turn("image", "a red fox", created=at(1), pictures=[
            Picture(path=str(path), prompt="photo of a red fox", seed=7, width=32, height=32, sha256=digest, file_size=size, created=at(1)),
        ]))
    finally:
        store.close()
    async with memory_app(pictures).run_test(size=(100, 30)) as pilot:
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the export dialog")
        field = pilot.app.screen.query_one(Input)
        assert field.value == "~/Pictures"  # beside the images folder
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.exported is not None, "the export")
        markdown, json_file = screen.exported
        assert markdown.parent == json_file.parent == pictures.parent
        assert markdown.suffix == ".md" and json_file.suffix == ".json" and json_file.is_file()
        text = markdown.read_text(encoding="utf-8")
        assert "![photo of a red fox](g2d-tui/fox.png)" in text
        assert (markdown.parent / unquote("g2d-tui/fox.png")).resolve() == path.resolve()
        assert any("Exported to ~/Pictures/conversation-" in str(note.message) for note in pilot.app._notifications)
        other = tmp_path / "exports" / "here"  # a folder the user types
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the export dialog")
        pilot.app.screen.query_one(Input).value = str(other)
        await pilot.click("#text-prompt-ok")
        await wait_for(pilot, lambda: screen.exported[0].parent == other, "the second export")
        assert "](../../home/Pictures/g2d-tui/fox.png)" in screen.exported[0].read_text(encoding="utf-8")


async def test_without_a_store_the_screen_says_why(tmp_path):
    history_path().mkdir(parents=True)  # a folder where the file should be
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: pilot.app.screen.session.opened.is_set(), "the history attempt")
        assert pilot.app.history is None
        screen = await open_screen(pilot, "f5", ConversationsScreen)
        message = str(screen.query_one("#conversations-message").render())
        assert message.startswith("The history is not available in this session:")
        assert "is a folder, not a history file" in message
        assert not screen.option_list.display and screen.query_one("#conversation-search", Input).disabled
        for key in ("ctrl+r", "delete", "ctrl+s", "enter"):  # nothing to act on, nothing breaks
            await pilot.press(key)
        await pilot.pause()
        assert pilot.app.screen is screen
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ChatScreen)


async def test_slash_command_and_palette_open_the_screens(tmp_path, utc):
    sample_store(tmp_path / "pics")
    async with memory_app(tmp_path / "pics").run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: pilot.app.screen.session.opened.is_set(), "the history")
        chat = pilot.app.screen
        await send(pilot, "/conversations")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConversationsScreen) and pilot.app.screen.loaded, "the screen")
        screen = pilot.app.screen
        titles = [command.title for command in pilot.app.get_system_commands(screen)]
        for key in ("command.conversations", "command.gallery", "command.open_conversation", "command.rename_conversation",
                    "command.delete_conversation", "command.export_conversation", "command.find_conversation"):
            assert t(key) in titles
        await pilot.press("escape")
        assert pilot.app.screen is chat
        await send(pilot, "/history")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConversationsScreen), "the screen again")
        await pilot.press("f6")  # the gallery replaces it: escape goes back to the chat
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "GalleryScreen" and pilot.app.screen.loaded, "the gallery")
        await pilot.press("escape")
        assert pilot.app.screen is chat


async def test_keymap_remaps_the_screens_keys(tmp_path, utc):
    from tests.ui.helpers import keyed_settings, make_app

    sample_store(tmp_path / "pics")
    settings = keyed_settings("http://127.0.0.1:9", save_dir=tmp_path / "pics")
    settings.ui.resume = False
    settings.keymap = {"conversations": "f9", "rename_conversation": "ctrl+e"}
    async with make_app(settings).run_test(size=(100, 30)) as pilot:
        assert not pilot.app.load_problems
        screen = await open_screen(pilot, "f9", ConversationsScreen)
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "the rename dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen, "the list")
        await pilot.press("escape")
        await pilot.press("f5")  # no longer bound
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChatScreen)
