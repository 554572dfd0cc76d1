"""A key never goes over plain http to another machine before the user said yes.

The "other machine" is a name the tests may not reach (``gemini.example``): the
no-internet guard (conftest) refuses the connection and records it. With "Don't send"
nothing may be tried at all; with "Send anyway" the test reads the guard's record to
see that the request did go out (and then fails, as a network error).
"""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.settings import SettingsScreen
from g2d_tui.settings.model import Environment
from g2d_tui.widgets.image_card import ImageCard
from tests.faults.helpers import notes, prompt_text, wait_until
from tests.ui.helpers import entries, keyed_settings, make_app, send, settle

SIZE = (100, 40)
ELSEWHERE = "http://gemini.example:8080"
HF_ELSEWHERE = "http://hf.example:8081"


async def _question(pilot) -> ConfirmScreen:
    assert await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen)), "no question was asked"
    return pilot.app.screen


async def test_dont_send_sends_nothing_and_gives_the_text_back(fake_gemini):
    app = make_app(keyed_settings(ELSEWHERE))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.chat_models == []  # the model list waits for a yes: nothing went out at start
        await send(pilot, "my secret question")
        question = await _question(pilot)
        body = str(question.query_one("#confirm-body", Static).render())
        assert "your Gemini API key" in body and "http://gemini.example:8080" in body
        assert question.focused is question.query_one("#answer-cancel", Button)  # Enter out of habit sends nothing
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "Not sent: your key was not sent unencrypted to http://gemini.example:8080" in notes(app.screen)
        assert prompt_text(app) == "my secret question"
        assert entries(app, "model") == []
        assert [entry.turn.state for entry in entries(app, "user")] == ["failed"]
        # Asked again next time: a no is not remembered.
        await send(pilot, "my secret question")
        await _question(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert prompt_text(app) == "my secret question"
    assert fake_gemini.requests == []


async def test_send_anyway_is_asked_once_per_server_and_lets_the_requests_go(no_internet):
    app = make_app(keyed_settings(ELSEWHERE))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert no_internet == []  # nothing tried before the question: not even the model list
        await send(pilot, "hello")
        question = await _question(pilot)
        assert no_internet == []
        await pilot.click(question.query_one("#answer-send", Button))
        await settle(pilot)
        # The request went out (the no-internet guard refused it, so it failed as a network error).
        assert await wait_until(pilot, lambda: no_internet.count("gemini.example") >= 1)
        assert await wait_until(pilot, lambda: "models_unavailable" in " ".join(e.key for e in entries(app, "note")) or no_internet.count("gemini.example") >= 2)
        tried = len(no_internet)
        await send(pilot, "again")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)  # remembered for this server
        assert await wait_until(pilot, lambda: len(no_internet) > tried)
    assert set(no_internet) == {"gemini.example"}
    no_internet.clear()  # refused on purpose: the guard's own check would fail the test


async def test_an_imagine_asks_about_the_hugging_face_token_and_stops_on_no(fake_gemini, tmp_path):
    settings = keyed_settings(fake_gemini.base_url, save_dir=tmp_path / "pics")
    settings.images.huggingface.base_url = HF_ELSEWHERE
    settings.images.huggingface.hub_url = HF_ELSEWHERE
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "/imagine a fox")
        question = await _question(pilot)
        body = str(question.query_one("#confirm-body", Static).render())
        assert "your Hugging Face token" in body and "http://hf.example:8081" in body
        await pilot.press("enter")
        await settle(pilot)
        [entry] = entries(app, "image")
        assert entry.run.state == "error" and entry.run.status_key == "transport.not_sent"
        assert isinstance(entry.widget, ImageCard)
        assert prompt_text(app) == "/imagine a fox"
    assert fake_gemini.requests_to("generate") == []  # not even the prompt: the picture could not be drawn


async def test_the_gemini_key_from_the_environment_url_is_guarded_too(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url), environ={"GOOGLE_GEMINI_BASE_URL": ELSEWHERE})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await _question(pilot)
        await pilot.press("enter")
        await settle(pilot)
    assert fake_gemini.requests == []


async def test_loopback_and_https_ask_nothing(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    assert app.key_guard.pending(chat=True, images=True) == []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "hi")
        await settle(pilot)
        assert entries(app, "model")[-1].turn.state == "complete"
    settings = keyed_settings("https://gemini.example")
    settings.images.backend = "a1111"
    settings.images.a1111.base_url = "http://gpu.example:7860"  # no key goes there
    assert make_app(settings).key_guard.pending(chat=True, images=True) == []


# -- the settings screen ------------------------------------------------------------------


def _hint(screen, widget_id: str) -> Static:
    return screen.query_one(f"#hint-{widget_id}", Static)


async def test_the_url_fields_warn_while_a_plain_http_url_is_typed(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        assert await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        field, hint = screen.query_one("#gemini--base-url", Input), _hint(screen, "gemini--base-url")
        assert not hint.has_class("-warning")
        field.value = "http://proxy.example:3128"
        assert await wait_until(pilot, lambda: hint.has_class("-warning"))
        assert "your Gemini API key would travel unencrypted to http://proxy.example:3128" in str(hint.render())
        field.value = "https://proxy.example:3128"
        assert await wait_until(pilot, lambda: not hint.has_class("-warning"))
        field.value = "http://127.0.0.1:8080"
        await pilot.pause()
        assert not hint.has_class("-warning")
        backend = screen.query_one("#images--backend")
        backend.value = "huggingface"
        router = screen.query_one("#images-huggingface--base-url", Input)
        router.value = HF_ELSEWHERE
        router_hint = _hint(screen, "images-huggingface--base-url")
        assert await wait_until(pilot, lambda: router_hint.has_class("-warning"))
        assert "your Hugging Face token" in str(router_hint.render())


async def test_an_environment_url_that_exposes_the_key_is_warned_about_at_once(fake_gemini):
    app = make_app(keyed_settings(fake_gemini.base_url), environ={"G2D_HF_HUB_URL": HF_ELSEWHERE})
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        assert await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        hint = _hint(app.screen, "images-huggingface--hub-url")
        assert hint.has_class("-warning") and "http://hf.example:8081" in str(hint.render())
        assert not _hint(app.screen, "images-huggingface--base-url").has_class("-warning")
    assert Environment.from_environ({"G2D_HF_HUB_URL": HF_ELSEWHERE}).hf_hub_url == HF_ELSEWHERE
