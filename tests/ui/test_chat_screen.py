"""Chat screen against the loopback fake Gemini: real SDK, real HTTP, real widgets."""

from __future__ import annotations

from contextlib import asynccontextmanager

from textual.widgets import Markdown, Select
from textual.widgets._markdown import MarkdownFence

from g2d_tui.screens.chat import ChatScreen
from g2d_tui.widgets.prompt_input import PromptInput
from g2d_tui.widgets.turns import GeminiReply, Note, UserPrompt
from tests.fakes.gemini_server import Error, Reply
from tests.ui.helpers import FakeClock, idle_checks, idle_events, keyed_settings, make_app, no_blink, send, settle, until

__all__ = ["send", "settle"]  # other UI tests import them from here too


@asynccontextmanager
async def streamed(fake_gemini, chunks: list[str], prompt: str, **reply):
    """An app that sent ``prompt`` and got ``chunks`` back; yields the pilot and the finished reply."""
    fake_gemini.enqueue(Reply(chunks=chunks, **reply))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, prompt)
        await settle(pilot)
        yield pilot, app.screen.query_one(GeminiReply)


def notes(screen) -> str:
    return "\n".join(str(note.render()) for note in screen.query(Note))


async def test_two_turns_stream_markdown_and_remember(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        await send(pilot, "My name is Ada")
        await settle(pilot)
        await send(pilot, "What is my name?")
        await settle(pilot)
        replies = list(app.screen.query(GeminiReply))
        assert len(replies) == 2
        assert all(reply.has_class("-done") for reply in replies)
        second = replies[1].text
        assert "What is my name?" in second and "My name is Ada" in second  # the fake echoes the history it got
        assert replies[1].query(MarkdownFence)  # the fenced code block rendered as a code block
        assert app.screen.query_one(PromptInput).text == ""
    streams = fake_gemini.requests_to("stream")
    assert len(streams) == 2
    contents = streams[1].json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"][0]["text"] == replies[0].text  # one merged model turn
    assert streams[0].headers["x-goog-api-key"] == "AIzaFAKE-test-key-0000"


async def test_sampling_parameters_are_sent(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    settings.gemini.temperature = 0.25
    settings.gemini.top_p = 0.5
    settings.gemini.top_k = 9
    settings.gemini.max_output_tokens = 321
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
    config = fake_gemini.requests_to("stream")[0].json["generationConfig"]
    assert config["temperature"] == 0.25 and config["topP"] == 0.5
    assert config["topK"] == 9 and config["maxOutputTokens"] == 321


async def test_escape_cancels_and_keeps_partial_text(fake_gemini):
    fake_gemini.enqueue(Reply(chunks=["First part. ", "second part. "] + ["more "] * 50, delay=0.2))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "tell me a long story")
        reply = app.screen.query_one(GeminiReply)
        await until(pilot, lambda: "second" in reply.text, "the second chunk")
        assert app.screen.busy
        activity = app.screen.query_one("#activity")  # animated every 0.1 s
        await until(pilot, lambda: "esc" in str(activity.render()).lower() and activity.has_class("-busy"), "the activity line")
        await pilot.press("escape")
        await settle(pilot)
        await until(pilot, lambda: str(activity.render()).strip() == "" and not activity.has_class("-busy"), "an empty activity line")
        assert reply.has_class("-cancelled")
        assert reply.text.startswith("First part. second part.")
        assert "Cancelled" in str(reply.query_one(".reply-status").render())
        assert not app.screen.busy
        # the next message works and carries the partial turn in its history
        await send(pilot, "go on")
        await settle(pilot)
        assert app.screen.query(GeminiReply)[-1].has_class("-done")
    contents = fake_gemini.requests_to("stream")[-1].json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]


async def test_error_shows_message_restores_text_and_next_message_works(fake_gemini):
    fake_gemini.enqueue(Error.invalid_key(), on="stream")
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "a question worth keeping")
        await settle(pilot)
        screen = app.screen
        assert "rejected the API key" in notes(screen)
        assert screen.query_one(PromptInput).text == "a question worth keeping"
        assert screen.query_one(UserPrompt).has_class("-failed")
        assert not screen.query(GeminiReply)  # the empty reply was removed
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query(GeminiReply).last().has_class("-done")
        assert screen.query_one(PromptInput).text == ""
    assert len(fake_gemini.requests_to("stream")) == 2


async def test_model_picker_is_filled_from_the_api_and_choice_persists(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        # The listing starts after the first frame: settle() may come first.
        await until(pilot, lambda: app.screen.query_one_optional("#chat-model", Select) is not None and app.chat_models, "the model list")
        await settle(pilot)
        picker = app.screen.query_one("#chat-model", Select)
        names = [str(option[0]) for option in picker._options]
        assert len(names) > 2
        assert not any("embedding" in name for name in names)
        other = next(name for name in names if name != app.settings.gemini.model)
        picker.value = other
        await settle(pilot)
        await app.workers.wait_for_complete()
        assert app.settings.gemini.model == other
        await send(pilot, "hello")
        await settle(pilot)
    assert f"/models/{other}:" in fake_gemini.requests_to("stream")[-1].path
    from g2d_tui.paths import config_path

    assert f'model = "{other}"' in config_path().read_text(encoding="utf-8")


async def test_new_chat_forgets_history(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "one")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not app.screen.query(GeminiReply)
        await send(pilot, "two")
        await settle(pilot)
    assert [c["role"] for c in fake_gemini.requests_to("stream")[-1].json["contents"]] == ["user"]


async def test_copy_last_reply(fake_gemini):
    fake_gemini.enqueue(Reply(chunks=["copy ", "me"]))
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "x")
        await settle(pilot)
        await pilot.press("ctrl+y")
        assert app.clipboard == "copy me"


async def test_unknown_slash_command_keeps_text(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "/dance now")
        assert app.screen.query_one(PromptInput).text == "/dance now"
        assert not fake_gemini.requests_to("stream")


async def test_keymap_remaps_keys_and_reports_unknown_ids(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    settings.keymap = {"new_chat": "ctrl+n", "no_such_binding": "f9"}
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert "no_such_binding" in notes(app.screen) and "does not name a binding" in notes(app.screen)
        await send(pilot, "one")
        await settle(pilot)
        await pilot.press("ctrl+l")  # the old key no longer clears
        await settle(pilot)
        assert app.screen.query(GeminiReply)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not app.screen.query(GeminiReply)
        footer_keys = {binding.key for (_, binding, _, _) in app.screen.active_bindings.values()}
        assert "ctrl+n" in footer_keys and "ctrl+l" not in footer_keys


async def test_long_reply_freezes_finished_blocks_and_keeps_all_text(fake_gemini):
    paragraphs = [f"Paragraph number {n} with some words.\n\n" for n in range(80)]
    chunks = [*paragraphs[:40], "```python\n", "x = 1\n\n", "y = 2\n", "```\n\n", *paragraphs[40:]]
    # delay: spread over several Markdown updates
    async with streamed(fake_gemini, chunks, "a long answer please", delay=0.01) as (_, reply):
        assert reply.text == "".join(chunks)
        from g2d_tui.widgets.turns import FrozenMarkdown

        frozen_widget = reply.query_one(FrozenMarkdown)
        assert len(frozen_widget.sources) >= 2, "finished blocks should be frozen, segment by segment"
        frozen = frozen_widget.source
        shown = "\n".join(frozen_widget.render_line(y).text for y in range(frozen_widget.line_count))
        assert "Paragraph number 0 with some words." in shown and "x = 1" in shown
        live = reply.query_one("#reply-markdown", Markdown).source
        assert frozen + live == reply.text  # nothing lost or doubled at the cuts
        assert "x = 1\n\ny = 2" in frozen + live
        assert (frozen + live).rstrip().endswith("Paragraph number 79 with some words.")
        assert len(reply.query_one("#reply-markdown", Markdown).children) <= 30


async def test_frozen_blocks_rewrap_when_the_terminal_narrows(fake_gemini):
    from g2d_tui.widgets.turns import FrozenMarkdown

    words = " ".join(f"word{n}" for n in range(40))
    chunks = [f"Paragraph {n}: {words}\n\n" for n in range(12)]
    async with streamed(fake_gemini, chunks, "long lines please", delay=0.01) as (pilot, reply):
        frozen = reply.query_one(FrozenMarkdown)
        assert frozen.line_count, "the finished paragraphs should be frozen"
        wide = frozen.line_count
        await pilot.resize_terminal(60, 40)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        assert frozen.line_count > wide  # the same text, wrapped to more lines
        assert max(frozen.render_line(y).cell_length for y in range(frozen.line_count)) <= frozen.size.width
        assert "Paragraph 0: word0" in frozen.render_line(0).text


async def test_a_growing_reply_keeps_only_lines_that_are_still_right(fake_gemini):
    """Rows rendered before the reply grew are kept (LinesKeptOnNewHeight): the screen must
    then be exactly what a full repaint of every widget draws."""
    chunks = [f"Line {n} of a reply that grows frame by frame.\n\n" for n in range(60)]
    async with streamed(fake_gemini, chunks, "grow please", delay=0.005) as (pilot, reply):
        from g2d_tui.widgets.turns import FrozenMarkdown

        assert reply.query_one(FrozenMarkdown).line_count, "part of it should be frozen"
        assert reply.size.height > pilot.app.size.height  # scrolled while it grew
        no_blink(pilot.app)
        await pilot.pause()
        kept = pilot.app.export_screenshot()
        for widget in pilot.app.screen.walk_children():
            widget.refresh()
        await pilot.pause()
        assert pilot.app.export_screenshot() == kept


def test_freeze_point_never_cuts_inside_code():
    from g2d_tui.widgets.turns import freeze_point

    text = "".join(f"p{n}\n\n" for n in range(30))
    assert freeze_point(text, 24) == len(text)
    assert freeze_point(text, 40) == 0
    fenced = text + "```\na\n\nb\n"
    assert freeze_point(fenced, 24) == 0  # streaming: wait for the fence to close
    assert freeze_point(fenced, 24, before_open_fence=True) == len(text)  # a burst: cut before it
    assert freeze_point("one\n\ntwo\n\n", 24) == 0


async def test_send_key_can_be_remapped(fake_gemini):
    settings = keyed_settings(fake_gemini.base_url)
    settings.keymap = {"send": "ctrl+r"}
    app = make_app(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        prompt = app.screen.query_one(PromptInput)
        prompt.focus()
        await pilot.press(*"two", "enter", *"lines")
        assert prompt.text == "two\nlines"  # Enter is a newline now
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.screen.query_one(UserPrompt).text == "two\nlines"


async def test_a_burst_of_finished_blocks_goes_straight_to_the_frozen_lines(fake_gemini, monkeypatch):
    from g2d_tui.widgets.reply_markdown import ReplyMarkdown
    from g2d_tui.widgets.turns import FrozenMarkdown

    burst = "".join(f"Burst paragraph {n}.\n\n" for n in range(150))  # over BURST
    appended: list[str] = []
    real_append = ReplyMarkdown.append

    def record(self, markdown):
        appended.append(markdown)
        return real_append(self, markdown)

    monkeypatch.setattr(ReplyMarkdown, "append", record)
    async with streamed(fake_gemini, [burst, "and the tail"], "everything at once") as (_, reply):
        frozen = reply.query_one(FrozenMarkdown)
        assert reply.text == burst + "and the tail"
        assert frozen.source + reply.markdown.source == reply.text
        assert "Burst paragraph 149." in frozen.source
        assert not any("Burst paragraph 0." in text for text in appended)  # never built as live widgets
        assert len(reply.markdown.children) <= 4


async def test_the_put_off_refreeze_waits_for_no_input_and_no_running_work(fake_gemini, monkeypatch):
    """Its full garbage-collector pass (100-250 ms) waits for the ``idle`` announcement, which
    must not fall on typing or a streaming reply. The idle watch runs on a fake clock moved
    by the test: what is under test is the order of events, whatever the machine's speed."""
    clock = FakeClock()
    fake_gemini.enqueue(Reply(chunks=["slow "] * 8, delay=0.15))
    app = make_app(keyed_settings(fake_gemini.base_url))
    events, answers = idle_events(app, monkeypatch, clock, "reply_started", "reply_finished")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await until(pilot, lambda: "reply_started" in events, "the reply")
        clock.advance(60)  # long past the quiet time after the Enter: only the reply holds idleness off
        await until(pilot, lambda: "idle" in events, "idle after the reply")
        assert events.index("reply_started") < events.index("reply_finished") < events.index("idle")
        assert not app.screen.busy

        await pilot.press("x")  # typing: each key comes before the quiet time after the last one
        await idle_checks(pilot, answers)
        assert answers[-1] is False
        events.clear()
        for _ in range(8):
            clock.advance(app.idle.quiet_for * 0.75)
            await idle_checks(pilot, answers)
            await pilot.press("x")
        await idle_checks(pilot, answers)
        assert events == []  # no idle moment while typing
        clock.advance(app.idle.quiet_for)  # the quiet time after the last key
        await until(pilot, lambda: "idle" in events, "idle after typing")
        assert clock() - app.idle.last_input >= app.idle.quiet_for
