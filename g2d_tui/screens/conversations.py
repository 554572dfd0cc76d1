"""ConversationsScreen: every stored conversation, newest first; search, open, rename, delete, export.

The list is filled a page at a time as the user scrolls (keyset pages from the store), so a
history of thousands opens as fast as one of ten. Typing in the search box runs the store's
full-text search (throttled); clearing it brings the list back. Every store call runs in a
worker of this screen; opening a conversation is the chat screen's work.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Footer, Input, Static
from textual.widgets.option_list import Option

from g2d_tui.i18n import format_number, t
from g2d_tui.keys import bind
from g2d_tui.paths import display_path
from g2d_tui.screens.memory import MemoryScreen, Throttle
from g2d_tui.services.errors import ServiceError
from g2d_tui.widgets.conversation_list import ConversationList, conversation_prompt

if TYPE_CHECKING:
    from textual.app import SystemCommand

    from g2d_tui.conversation import Conversation
    from g2d_tui.services.history import AsyncHistory, SearchHit

PAGE = 50
"""Conversations per page of the list."""
SEARCH_LIMIT = 100
"""Search hits shown (best first)."""


def _with_rules(options: Iterable[Option]) -> Iterable[Option | None]:
    """Each option followed by a rule (OptionList draws a line for None)."""
    for option in options:
        yield option
        yield None


class ConversationsScreen(MemoryScreen):
    """The stored conversations."""

    BINDINGS = [
        bind("escape", "close", "close_conversations"),
        bind("enter", "open_conversation", "open_conversation", priority=True),  # from the search box too
        bind("ctrl+f", "find", "find_conversation", show=False),  # the box is in sight
        bind("ctrl+r", "rename", "rename_conversation"),
        bind("delete", "delete", "delete_conversation"),
        bind("ctrl+s", "export", "export_conversation"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Conversation] = []
        """The conversations behind the list's options, in the same order."""
        self.hits: list[SearchHit] | None = None
        """The search results shown, or None when the list shows every conversation."""
        self.shown_search: str | None = None
        """The text whose results are shown (None: every conversation)."""
        self.total = 0
        self.exhausted = False
        """Every conversation is loaded (no next page)."""
        self.loaded = False
        """The first page (or the unavailable message) is up."""
        self.exported: tuple[Path, Path] | None = None
        """The Markdown and JSON files of the last export."""
        self._generation = 0
        """Bumped when the list is refilled, so a page asked for before is dropped."""
        self._search = Throttle(self, self._start_search)

    def compose(self) -> ComposeResult:
        with Horizontal(id="conversations-top"):
            yield Static(t("conversations.title"), id="conversations-title")
            yield Static("", id="conversations-count")
        yield Input(placeholder=t("conversations.search_placeholder"), id="conversation-search", compact=True)
        yield ConversationList(id="conversation-list")
        yield Static("", id="conversations-message")
        yield Footer(compact=True)

    @property
    def option_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_mount(self) -> None:
        self.option_list.focus()
        self.load_first_page()

    # -- filling the list --------------------------------------------------------------------

    def _refill(self, prompts: list[Content], records: list[Conversation], hits: list[SearchHit] | None) -> None:
        self._generation += 1
        self.records, self.hits = records, hits
        option_list = self.option_list
        option_list.set_options(_with_rules(Option(prompt, id=f"c{record.id}") for prompt, record in zip(prompts, records, strict=True)))
        if records:
            option_list.highlighted = 0
        option_list.page_added()
        self._show_state()

    @work(group="conversations-list", exclusive=True, exit_on_error=False)
    async def load_first_page(self) -> None:
        history = await self.history()
        if history is None:
            self._unavailable()
            return
        try:
            self.total = await history.conversation_count()
            page = await history.conversations(PAGE)
            titles = await self._titles(history, page)
        except ServiceError as error:
            self.report(error)
            return
        self.exhausted = len(page) < PAGE
        self.shown_search = None
        self._refill([conversation_prompt(c, titles[c.id]) for c in page], page, None)
        self.loaded = True

    @on(ConversationList.NearEnd)
    def _near_end(self, event: ConversationList.NearEnd) -> None:
        event.stop()
        if self.hits is None and not self.exhausted and self.records:
            self.load_next_page(self._generation)

    @work(group="conversations-more", exclusive=True, exit_on_error=False)
    async def load_next_page(self, generation: int) -> None:
        history = self.app.history
        if history is None:
            return
        try:
            page = await history.conversations(PAGE, before=self.records[-1])
            titles = await self._titles(history, page)
        except ServiceError as error:
            self.report(error)
            return
        if generation != self._generation:
            return  # the list was refilled meanwhile (a search)
        self.exhausted = len(page) < PAGE
        self.records.extend(page)
        self.option_list.add_options(_with_rules(Option(conversation_prompt(c, titles[c.id]), id=f"c{c.id}") for c in page))
        self.option_list.page_added()

    @staticmethod
    async def _titles(history: AsyncHistory, conversations: Iterable[Conversation]) -> dict[int, str]:
        """What each conversation is called: its title, else its first request (a title the
        user cleared), else "Untitled"."""
        from g2d_tui.services.history import title_from_request

        titles = {}
        for conversation in conversations:
            title = conversation.title
            if not title and conversation.turn_count:
                first = await history.turns(conversation.id, 0, 4)
                title = next((title_from_request(turn.text) for turn in first if turn.role in ("user", "image") and turn.text), "")
            titles[conversation.id] = title or t("history.export.untitled")
        return titles

    # -- search ------------------------------------------------------------------------------

    @on(Input.Changed, "#conversation-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._search(event.value)

    @on(Input.Submitted, "#conversation-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.option_list.focus()

    def _start_search(self, text: str) -> None:
        if text.strip():
            self.search(text)
        else:
            self.load_first_page()

    @work(group="conversations-list", exclusive=True, exit_on_error=False)
    async def search(self, text: str) -> None:
        history = await self.history()
        if history is None:
            return
        try:
            hits = await history.search_conversations(text, SEARCH_LIMIT)
            titles = await self._titles(history, [hit.conversation for hit in hits])
        except ServiceError as error:
            self.report(error)
            return
        prompts = [conversation_prompt(hit.conversation, titles[hit.conversation.id], hit) for hit in hits]
        self.shown_search = text
        self._refill(prompts, [hit.conversation for hit in hits], hits)

    # -- what is shown around the list -------------------------------------------------------

    def _show_state(self) -> None:
        count = self.query_one("#conversations-count", Static)
        message = self.query_one("#conversations-message", Static)
        if self.hits is not None:
            count.update(Content(t("conversations.found", count=len(self.hits))))
            text = "" if self.hits else t("conversations.nothing_found")
        else:
            count.update(Content(t("conversations.count", count=self.total, number=format_number(self.total))))
            text = "" if self.records else t("conversations.none_yet")
        message.update(Content(text))
        message.display = bool(text)

    def _unavailable(self) -> None:
        self.loaded = True
        message = self.query_one("#conversations-message", Static)
        message.update(Content(self.unavailable_text()))
        message.display = True
        message.add_class("-unavailable")
        self.option_list.display = False
        self.query_one("#conversation-search", Input).disabled = True

    def retranslate(self) -> None:
        self.query_one("#conversations-title", Static).update(t("conversations.title"))
        self.query_one("#conversation-search", Input).placeholder = t("conversations.search_placeholder")
        if self.loaded and self.app.history is not None:
            self._show_state()
            self._start_search(self.query_one("#conversation-search", Input).value)  # the lines say "turns"

    # -- actions -----------------------------------------------------------------------------

    def selected(self) -> Conversation | None:
        index = self.option_list.highlighted
        if index is None or not 0 <= index < len(self.records):
            return None
        return self.records[index]

    def _index_of(self, conversation_id: int) -> int | None:
        return next((i for i, record in enumerate(self.records) if record.id == conversation_id), None)

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_find(self) -> None:
        self.query_one("#conversation-search", Input).focus()

    @on(ConversationList.OptionSelected)
    def _option_selected(self, event: ConversationList.OptionSelected) -> None:
        event.stop()
        self.action_open_conversation()

    def action_open_conversation(self) -> None:
        conversation = self.selected()
        if conversation is None:
            return
        chat = self.back_to_chat()
        if chat is not None:
            chat.open_conversation(conversation)

    def action_rename(self) -> None:
        conversation = self.selected()
        if conversation is None:
            return
        from g2d_tui.screens.text_prompt import TextPromptScreen

        def renamed(title: str | None) -> None:
            if title is not None:
                self.rename(conversation, title.strip())

        dialog = TextPromptScreen(t("conversations.rename_title"), t("conversations.rename_body"), conversation.title)
        self.app.push_screen(dialog, renamed)

    @work(group="conversations-edit", exit_on_error=False)
    async def rename(self, conversation: Conversation, title: str) -> None:
        from g2d_tui.services.history import title_from_request
        from g2d_tui.services.sanitize import clean_line

        history = self.app.history
        if history is None:
            return
        title = clean_line(title)
        try:
            if not title:  # cleared: named after its first request again
                first = await history.turns(conversation.id, 0, 4)
                title = next((title_from_request(turn.text) for turn in first if turn.role in ("user", "image") and turn.text), "")
            if not await history.rename(conversation.id, title):
                raise ServiceError("history.error.missing")
        except ServiceError as error:
            self.report(error)
            return
        conversation.title = title
        chat = self.chat
        if chat is not None and chat.session.conversation is not None and chat.session.conversation.id == conversation.id:
            chat.session.conversation.title = title
        index = self._index_of(conversation.id)
        if index is not None:
            hit = self.hits[index] if self.hits is not None else None
            shown = title or t("history.export.untitled")
            self.option_list.replace_option_prompt_at_index(index, conversation_prompt(conversation, shown, hit))
        self.notify(t("conversations.renamed", title=title or t("history.export.untitled")))

    def action_delete(self) -> None:
        conversation = self.selected()
        if conversation is None:
            return
        from g2d_tui.screens.confirm import ConfirmScreen

        def decided(choice: str | None) -> None:
            if choice == "delete":
                self.delete(conversation)

        title = conversation.title or t("history.export.untitled")
        answers = [("delete", t("conversations.delete_yes"), "error"), ("cancel", t("dialog.cancel"), "default")]
        body = t("conversations.delete_body", title=title, count=conversation.turn_count)
        self.app.push_screen(ConfirmScreen(t("conversations.delete_title"), body, answers), decided)

    @work(group="conversations-edit", exit_on_error=False)
    async def delete(self, conversation: Conversation) -> None:
        history = self.app.history
        if history is None:
            return
        try:
            await history.delete(conversation.id)
        except ServiceError as error:
            self.report(error)
            return
        index = self._index_of(conversation.id)
        if index is not None:
            self.records.pop(index)
            if self.hits is not None:
                self.hits.pop(index)
            self.option_list.remove_option_at_index(index)
        self.total = max(0, self.total - 1)
        self._show_state()
        self.notify(t("conversations.deleted", title=conversation.title or t("history.export.untitled")))
        chat = self.chat
        if chat is not None and chat.session.conversation is not None and chat.session.conversation.id == conversation.id:
            await chat.action_new_chat()  # the chat showed it: it starts afresh

    def export_folder(self) -> Path:
        """Where exports go unless the user says otherwise: beside the images folder."""
        return Path(self.app.settings.images.save_dir).expanduser().parent

    def action_export(self) -> None:
        conversation = self.selected()
        if conversation is None:
            return
        from g2d_tui.screens.text_prompt import TextPromptScreen

        def chosen(folder: str | None) -> None:
            if folder is not None and folder.strip():
                self.export(conversation, Path(folder.strip()).expanduser())

        dialog = TextPromptScreen(
            t("conversations.export_title"), t("conversations.export_body"), display_path(self.export_folder()),
            accept=t("conversations.export_yes"),
        )
        self.app.push_screen(dialog, chosen)

    @work(group="conversations-edit", exit_on_error=False)
    async def export(self, conversation: Conversation, folder: Path) -> None:
        history = self.app.history
        if history is None:
            return
        try:
            markdown = await history.export_markdown(conversation.id, folder)
            json_file = await history.export_json(conversation.id, folder)
        except ServiceError as error:
            self.report(error)
            return
        self.exported = (markdown, json_file)
        self.notify(t("conversations.exported", markdown=display_path(markdown), json=display_path(json_file)), timeout=10)

    def system_commands(self) -> Iterable[SystemCommand]:
        """The palette's entries for this screen."""
        from g2d_tui.screens.palette import command

        yield command("open_conversation", self.action_open_conversation)
        yield command("find_conversation", self.action_find)
        yield command("rename_conversation", self.action_rename)
        yield command("delete_conversation", self.action_delete)
        yield command("export_conversation", self.action_export)
