"""The footer piece: Textual's Footer changes only the keys that changed, and does not leak its old keys.

Textual's Footer rebuilds all its FooterKey widgets whenever the screen's bindings change
(here: each time a reply or an image starts or ends, to show or hide "esc Cancel").
Mounting and styling the eight keys again took ~25 ms of the event loop, next to the
first frames of a reply or a picture. This one builds the keys Textual would, then only
removes the ones that went and mounts the ones that came.

Every FooterKey binds ``compact`` to the Footer with ``data_bind``, which registers a
watcher on the Footer; Textual prunes a watcher list only when that reactive changes,
and ``compact`` never does, so every removed key stayed alive (about 13 widgets per
/imagine: a steady climb in memory over a long session). We prune after each change.
"""

from __future__ import annotations

from textual.compose import compose
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from g2d_tui.tuning._patch import Patches


def _identity(widget: Widget) -> tuple | None:
    """What a FooterKey shows and does; None for anything else (a key group, a label)."""
    if type(widget) is not FooterKey:
        return None
    return (widget.key, widget.key_display, widget.description, widget.action, widget._disabled,
            str(widget.tooltip or ""), widget.has_class("-command-palette"), widget.has_class("-grouped"))


def install():
    recompose = Footer.recompose  # Widget's
    if "_pruning" not in recompose.__code__.co_names:
        return None  # not the shape this was written for

    async def in_place_recompose(self) -> None:
        if not self.is_attached or self._pruning:
            return
        async with self.batch():
            if not await _update_in_place(self, compose(self)):
                await recompose(self)
        prune_detached_watchers(self)

    patches = Patches()
    patches.set(Footer, "recompose", in_place_recompose)
    return patches.undo


async def _update_in_place(self: Footer, wanted: list[Widget]) -> bool:
    """Turn the keys shown into ``wanted`` by removing and mounting keys; False if the
    footer holds anything but plain keys (Textual's full rebuild handles groups)."""
    shown = list(self.children)
    wanted_ids = [_identity(widget) for widget in wanted]
    shown_ids = [_identity(widget) for widget in shown]
    if None in wanted_ids or None in shown_ids:
        return False
    kept: list[tuple[tuple, Widget]] = []  # shown keys that stay, in their order
    remaining = list(zip(shown_ids, shown))
    for identity in wanted_ids:
        index = next((n for n, (shown_id, _) in enumerate(remaining) if shown_id == identity), None)
        if index is not None:
            kept.append(remaining[index])
            del remaining[: index + 1]
    if len(kept) == len(shown) == len(wanted):
        return True  # nothing changed
    kept_widgets = [widget for _, widget in kept]
    gone = [widget for widget in shown if widget not in kept_widgets]
    if gone:
        await self.remove_children(gone)
    position = 0
    for identity, widget in zip(wanted_ids, wanted):
        if position < len(kept) and kept[position][0] == identity:
            position += 1  # already there
        elif position < len(kept):
            await self.mount(widget, before=kept_widgets[position])
        else:
            await self.mount(widget)
    return True


def prune_detached_watchers(node: DOMNode) -> None:
    """Forget watchers registered on ``node`` by widgets that have left the DOM."""
    for watchers in getattr(node, "__watchers", {}).values():
        watchers[:] = [
            (watcher, callback)
            for watcher, callback in watchers
            if not watcher._closing and (not isinstance(watcher, DOMNode) or watcher.is_attached)
        ]
