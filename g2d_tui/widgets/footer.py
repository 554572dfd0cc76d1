"""Footer that does not leak its old keys.

Textual's Footer rebuilds its FooterKey widgets whenever the screen's bindings change
(here: each time a reply or an image starts or ends). Every FooterKey binds
``compact`` to the Footer with ``data_bind``, which registers a watcher on the Footer;
Textual prunes a watcher list only when that reactive changes, and ``compact`` never
does, so every rebuild kept the old keys alive (about 13 widgets per /imagine: a
steady climb in memory over a long session). We prune after each rebuild.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    async def recompose(self) -> None:
        await super().recompose()
        prune_detached_watchers(self)


def prune_detached_watchers(node: DOMNode) -> None:
    """Forget watchers registered on ``node`` by widgets that have left the DOM."""
    for watchers in getattr(node, "__watchers", {}).values():
        watchers[:] = [
            (watcher, callback)
            for watcher, callback in watchers
            if not watcher._closing and (not isinstance(watcher, DOMNode) or watcher.is_attached)
        ]
