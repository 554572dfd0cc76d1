"""SettingsScreen: edit a copy of the settings, validate inline, save atomically."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static, Switch

from g2d_tui.i18n import t
from g2d_tui.keys import bind
from g2d_tui.paths import display_path
from g2d_tui.screens.confirm import ConfirmScreen
from g2d_tui.screens.settings_controls import choices_for, control_for
from g2d_tui.screens.settings_form import ALL_FIELDS, FORM, FormField
from g2d_tui.screens.settings_hints import KEY_FIELDS, exposed_url, hint, ignored_by_backend, missing_text
from g2d_tui.settings.model import Environment, FieldError, Settings, coerce, section_of

if TYPE_CHECKING:
    from g2d_tui.screens.app_host import AppHost


class SettingsScreen(Screen[None]):
    """Every setting, grouped by section; ``ctrl+s`` saves, ``escape`` goes back."""

    app: AppHost
    BINDINGS = [
        # Not a priority binding: those run as the key comes in, before the keys ahead of it
        # have reached the focused field, and a fast "type, ctrl+s" saved the old value.
        bind("ctrl+s", "save", "save_settings"),
        bind("ctrl+r", "revert", "revert_settings"),
        bind("ctrl+t", "toggle_secrets", "toggle_secrets"),
        bind("escape", "close", "close_settings"),
    ]

    dirty: reactive[bool] = reactive(False, bindings=True)
    """True while the form differs from the saved settings."""
    secrets_visible: reactive[bool] = reactive(False)

    def __init__(self, settings: Settings, environment: Environment) -> None:
        super().__init__()
        self.original = settings.copy()
        self.environment = environment
        self.errors: dict[str, str] = {}
        self._saving = False

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Content(t("settings.title")), id="settings-title")
        yield Static("", id="settings-missing")
        with VerticalScroll(id="settings-form"):
            for section, form_fields in FORM.items():
                yield Static(Content(t(f"settings.section.{section}")), classes="section-title", id=f"section-{section}")
                for item in form_fields:
                    yield from self._row(item)
        with Horizontal(id="settings-actions"):
            yield Static("", id="settings-status")
            yield Button(Content(t("settings.button.revert")), id="revert", variant="default")
            yield Button(Content(t("settings.button.save")), id="save", variant="primary")
        yield Footer(compact=True)

    def _row(self, item: FormField) -> ComposeResult:
        value = self._saved_value(item)
        backend = self.original.images.backend
        # Set up front, not in on_mount: the rows' children may not be mounted by then.
        row = Horizontal(classes="field-row", id=f"row-{item.widget_id}")
        row.display = item.backend in (None, backend)
        ignored = ignored_by_backend(item, backend)
        row.set_class(ignored, "-ignored")
        with row:
            yield Label(Content(t(item.label_key)), classes="field-label", id=f"label-{item.widget_id}")
            with Vertical(classes="field-body"):
                with Horizontal(classes="field-control"):
                    control = control_for(item, value, self.app.chat_models, self.app.available_themes)
                    control.disabled = ignored
                    yield control
                    if item.kind == "secret":
                        yield Button(Content(t("settings.button.show")), id=f"show-{item.widget_id}", classes="show-secret", compact=True)
                hint = Static(Content(self._hint(item, value)), classes="field-hint", id=f"hint-{item.widget_id}")
                hint.set_class(self._key_exposed(item, value), "-warning")
                yield hint

    def _key_exposed(self, item: FormField, value: Any) -> bool:
        return bool(exposed_url(self.environment, item, value))

    def _hint(self, item: FormField, value: Any = None) -> str:
        """The line under ``item`` (``value``: what the field holds now, when known)."""
        if value is None and self.is_mounted:
            value = self._raw_value(item)
        return hint(
            item, "" if value is None else value,
            environment=self.environment, backend=self._selected_backend(), language_from_cli=self.app.language_from_cli,
        )

    def on_mount(self) -> None:
        missing = self.app.missing_keys(self.original)  # the form holds the saved settings yet
        first = "#images-huggingface--api-key" if missing == ["keys.missing_hf"] else "#gemini--api-key"
        self.query_one(first, Input).focus()
        self._update_status()
        self._update_missing(missing)

    # -- missing keys ---------------------------------------------------------------------

    def _missing_keys(self) -> list[str]:
        """The keys the form, as it is now, still lacks (the environment counts too)."""
        return self.app.missing_keys(self.collect()[0])

    def _update_missing(self, missing: list[str] | None = None) -> None:
        """Name each missing key and where to get it, above the form."""
        if missing is None:
            missing = self._missing_keys()
        note = self.query_one("#settings-missing", Static)
        note.update(Content(missing_text(missing)))
        note.display = bool(missing)

    def _selected_backend(self) -> str:
        if self.is_mounted:
            select = self.query_one_optional("#images--backend", Select)
            if select is not None and isinstance(select.value, str):
                return select.value
        return self.original.images.backend

    def _show_backend(self, backend: str) -> None:
        """Show the selected backend's own fields, and grey out the shared ones it ignores."""
        for item in ALL_FIELDS:
            if item.backend is not None:
                self.query_one(f"#row-{item.widget_id}").display = item.backend == backend
            elif item.request_field is not None:
                ignored = ignored_by_backend(item, backend)
                self.query_one(f"#{item.widget_id}").disabled = ignored
                self.query_one(f"#row-{item.widget_id}").set_class(ignored, "-ignored")
                if item.widget_id not in self.errors:
                    self._refresh_hint(item)

    # -- reading the form ---------------------------------------------------------------

    def _raw_value(self, item: FormField) -> Any:
        widget = self.query_one(f"#{item.widget_id}")
        if isinstance(widget, (Switch, Select, Input)):
            return widget.value
        raise TypeError(item.widget_id)

    def collect(self) -> tuple[Settings, dict[str, str]]:
        """The form as Settings plus the field errors (widget id -> message)."""
        result = self.original.copy()
        errors: dict[str, str] = {}
        for item in ALL_FIELDS:
            try:
                setattr(section_of(result, item.section), item.name, coerce(item.section, item.name, self._raw_value(item)))
            except FieldError as error:
                errors[item.widget_id] = error.message()
        for widget_id, message in self.errors.items():
            errors.setdefault(widget_id, message)
        return result, errors

    def _validate(self, item: FormField) -> None:
        try:
            coerce(item.section, item.name, self._raw_value(item))
        except FieldError as error:
            self._show_error(item, error.message())
        else:
            self._show_error(item, None)
        self._refresh_dirty()

    def _show_error(self, item: FormField, message: str | None) -> None:
        hint = self.query_one(f"#hint-{item.widget_id}", Static)
        row = self.query_one(f"#row-{item.widget_id}")
        if message:
            self.errors[item.widget_id] = message
            hint.update(Content(f"✗ {message}"))  # messages quote what was typed: never markup
            hint.remove_class("-warning")
        else:
            self.errors.pop(item.widget_id, None)
            self._refresh_hint(item)
        row.set_class(bool(message), "-invalid")
        self._update_status()

    def _refresh_hint(self, item: FormField) -> None:
        value = self._raw_value(item)
        hint = self.query_one(f"#hint-{item.widget_id}", Static)
        hint.update(Content(self._hint(item, value)))
        hint.set_class(self._key_exposed(item, value), "-warning")

    def _refresh_dirty(self) -> None:
        self.dirty = any(str(self._raw_value(item)) != str(self._saved_value(item)) for item in ALL_FIELDS)

    def _saved_value(self, item: FormField) -> Any:
        return getattr(section_of(self.original, item.section), item.name)

    def watch_dirty(self) -> None:
        if self.is_mounted:  # on the bar, not the screen: restyling the whole form costs ~0.25 s
            self.query_one("#settings-actions").set_class(self.dirty, "-dirty")
        self._update_status()

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        status = self.query_one("#settings-status", Static)
        if self.errors:
            status.update(Content(t("settings.status.errors", count=len(self.errors))))
        elif self.dirty:
            status.update(Content(t("settings.status.unsaved")))
        elif not self.app.settings_file_exists:
            status.update(Content(t("settings.status.not_saved", path=display_path(self.app.store.path))))
        else:
            status.update(Content(t("settings.status.saved_path", path=display_path(self.app.store.path))))

    def _field(self, widget_id: str | None) -> FormField | None:
        return next((item for item in ALL_FIELDS if item.widget_id == widget_id), None)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        item = self._field(event.input.id)
        if item is None:
            return
        self._validate(item)
        if item.widget_id in KEY_FIELDS:
            self._update_missing()
        if item.kind == "folder" and item.widget_id not in self.errors:
            self.check_folder(event.value)

    @on(Switch.Changed)
    @on(Select.Changed)
    def _choice_changed(self, event: Switch.Changed | Select.Changed) -> None:
        item = self._field(event.control.id)
        if item is not None:
            self._validate(item)
            if (item.section, item.name) == ("images", "backend") and isinstance(event.value, str):
                self._show_backend(event.value)
                self._update_missing()

    @work(exclusive=True, group="folder-check")
    async def check_folder(self, path: str) -> None:
        """Check the images folder off the event loop, after typing pauses."""
        from g2d_tui.services.folders import check_writable_folder

        await asyncio.sleep(0.25)
        problem = await asyncio.to_thread(check_writable_folder, path)
        item = self._field("images--save-dir")
        try:
            if item is not None and self._raw_value(item) == path:
                self._show_error(item, t(problem) if problem else None)
        except NoMatches:  # the screen closed, or the app quit, while the folder was checked
            return

    # -- actions ------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#revert")
    def _revert_pressed(self) -> None:
        self.action_revert()

    @on(Button.Pressed, ".show-secret")
    def _show_pressed(self) -> None:
        self.action_toggle_secrets()

    def action_toggle_secrets(self) -> None:
        self.secrets_visible = not self.secrets_visible

    def watch_secrets_visible(self, visible: bool) -> None:
        for item in ALL_FIELDS:
            if item.kind == "secret":
                self.query_one(f"#{item.widget_id}", Input).password = not visible
                self.query_one(f"#show-{item.widget_id}", Button).label = Content(t(
                    "settings.button.hide" if visible else "settings.button.show"
                ))

    def action_save(self) -> None:
        new, errors = self.collect()
        if errors:
            self.notify(t("settings.fix_errors", count=len(errors)), severity="error")
            first = next(iter(errors))
            self.query_one(f"#{first}").focus()
            return
        if not self._saving:
            self.save(new)

    @work(exclusive=True, group="save-settings")
    async def save(self, new: Settings) -> None:
        self._saving = True
        try:
            if not await self.app.save_settings_or_report(new):
                return
        finally:
            self._saving = False
        self.original = new.copy()
        self.dirty = False
        self._update_status()  # "not saved yet" is over even when nothing was changed
        self.notify(t("settings.saved", path=display_path(self.app.store.path)))

    def action_revert(self) -> None:
        for item in ALL_FIELDS:
            value = self._saved_value(item)
            widget = self.query_one(f"#{item.widget_id}")
            if isinstance(widget, Input):
                widget.value = str(value)
            elif isinstance(widget, (Switch, Select)):
                widget.value = value
        self.errors.clear()
        self._show_backend(self.original.images.backend)
        for item in ALL_FIELDS:
            self._show_error(item, None)
        self.dirty = False

    def action_close(self) -> None:
        if not self.dirty:
            self.dismiss()
            return

        def decided(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
                if not self.collect()[1]:
                    self.call_after_refresh(self._dismiss_after_save)
            elif choice == "discard":
                self.dismiss()

        self.app.push_screen(
            ConfirmScreen(
                t("settings.unsaved.title"),
                t("settings.unsaved.body"),
                [("save", t("settings.unsaved.save"), "primary"), ("discard", t("settings.unsaved.discard"), "error"), ("cancel", t("settings.unsaved.cancel"), "default")],
            ),
            decided,
        )

    async def _dismiss_after_save(self) -> None:
        await self.workers.wait_for_complete()
        if not self.dirty:
            self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "revert":
            return self.dirty
        return True

    def retranslate(self) -> None:
        self.query_one("#settings-title", Static).update(Content(t("settings.title")))
        for section in FORM:
            self.query_one(f"#section-{section}", Static).update(Content(t(f"settings.section.{section}")))
        for item in ALL_FIELDS:
            self.query_one(f"#label-{item.widget_id}", Label).update(Content(t(item.label_key)))
            if item.widget_id not in self.errors:
                self._refresh_hint(item)
        for item in ALL_FIELDS:
            if item.kind == "choice" and item.name != "theme":
                select = self.query_one(f"#{item.widget_id}", Select)
                value = select.value
                select.set_options(choices_for(item, self.app.available_themes))
                select.value = value
        self.query_one("#save", Button).label = Content(t("settings.button.save"))
        self.query_one("#revert", Button).label = Content(t("settings.button.revert"))
        self.watch_secrets_visible(self.secrets_visible)
        self._update_status()
        self._update_missing()
