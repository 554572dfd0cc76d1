"""Palette: Textual's command palette with its own words from our catalogue.

Imported when the palette first opens: defining a Textual screen class costs a few
milliseconds that start-up does not need to pay.
"""

from __future__ import annotations

from textual.command import CommandPalette

from g2d_tui.i18n import t


class Palette(CommandPalette):
    """Textual's command palette with "No matches found" in the user's language."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's method with the message from the catalogue (Textual builds the text inside
        # this method; test_textual_strings notices if it changes).
        from rich.align import Align
        from rich.text import Text
        from textual.command import CommandList
        from textual.widgets.option_list import Option

        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(t("command.no_matches"), style="not bold")), disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
