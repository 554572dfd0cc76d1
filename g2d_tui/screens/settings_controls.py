"""The settings form's controls: which widget edits a field, and the options of a choice."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.suggester import SuggestFromList
from textual.widgets import Input, Select, Switch

from g2d_tui.i18n import LANGUAGES, t
from g2d_tui.screens.settings_form import FormField
from g2d_tui.services.images import defaults as image_defaults
from g2d_tui.settings.model import IMAGE_BACKENDS, THEMES

if TYPE_CHECKING:
    from rich.text import Text


def control_for(item: FormField, value: Any, chat_models: list[str], themes: Iterable[str]) -> Switch | Select | Input:
    """The widget that edits ``item``, holding ``value`` (``chat_models``: the API's model ids,
    suggested in the chat model field; ``themes``: the app's, offered by the theme field)."""
    widget_id = item.widget_id
    if item.kind == "bool":
        return Switch(value=bool(value), id=widget_id)
    if item.kind == "choice":
        options = choices_for(item, themes)
        if value not in [option[1] for option in options]:
            options.append((_plain(str(value)), value))
        return Select(options, value=value, allow_blank=False, id=widget_id, compact=True)
    suggester = None
    if item.kind == "chat_model":
        suggester = SuggestFromList(chat_models or [value], case_sensitive=False)
    elif item.kind == "image_model":
        known = {"huggingface": image_defaults.HF_CURATED_MODELS, "gemini": image_defaults.GEMINI_IMAGE_MODELS}
        suggester = SuggestFromList(known.get(item.backend or "", ()) or [value], case_sensitive=False)
    return Input(
        value=str(value),
        password=item.kind == "secret",
        suggester=suggester,
        placeholder=t(item.placeholder_key),
        id=widget_id,
        select_on_focus=False,
        compact=True,
    )


def choices_for(item: FormField, themes: Iterable[str]) -> list[tuple[Text, str]]:
    """The options of the choice field ``item`` (``themes``: the app's, for the theme field)."""
    if item.name == "language":
        pairs = [(t("settings.language_auto"), ""), *((name, code) for code, name in LANGUAGES.items())]
    elif item.name == "theme":
        names = [name for name in themes if not name.startswith("textual-ansi")] or list(THEMES)
        pairs = [(name, name) for name in sorted(names)]
    elif item.name == "provider":
        pairs = [(t("settings.provider_auto") if name == "auto" else name, name) for name in image_defaults.HF_PROVIDERS]
    else:
        pairs = [(t(f"settings.backend.{name}"), name) for name in IMAGE_BACKENDS]
    return [(_plain(label), value) for label, value in pairs]


def _plain(label: str) -> Text:
    """A Select option's label as plain text. Rich ``Text`` rather than ``Content``: both
    are never parsed as markup, and Select's type-to-search only reads str and Text."""
    from rich.text import Text

    return Text(label)
