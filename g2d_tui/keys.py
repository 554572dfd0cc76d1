"""Bindings whose descriptions come from the catalogue, and re-translation on a language switch."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingsMap

from g2d_tui.i18n import t

if TYPE_CHECKING:
    from textual.dom import DOMNode


def bind(keys: str, action: str, binding_id: str, *, show: bool = True, priority: bool = False, key_display: str | None = None) -> Binding:
    """A Binding with an id (remappable from ``[keymap]``) and translated labels.

    The description is ``binding.<id>`` and the tooltip ``binding_tip.<id>`` in the catalogue.
    """
    return Binding(
        keys,
        action,
        t(f"binding.{binding_id}"),
        show=show,
        priority=priority,
        key_display=key_display,
        tooltip=t(f"binding_tip.{binding_id}"),
        id=binding_id,
    )


def _retranslate_map(bindings_map: BindingsMap | None) -> None:
    if bindings_map is None:
        return
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            replace(item, description=t(f"binding.{item.id}"), tooltip=t(f"binding_tip.{item.id}")) if item.id else item
            for item in bindings
        ]


def retranslate(node: DOMNode) -> None:
    """Refresh the descriptions of ``node``'s bindings in the current language."""
    _retranslate_map(node._bindings)


def retranslate_classes(*classes: type[DOMNode]) -> None:
    """Refresh the bindings that future instances of ``classes`` copy when they are created."""
    for cls in classes:
        _retranslate_map(cls._merged_bindings)
