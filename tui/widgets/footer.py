"""A Footer that rebuilds only when the keys it shows change.

Textual's Footer rebuilds all its key widgets whenever the focused widget changes; in the
options panel every Tab is such a change, and the rebuild was the largest cost of a focus move
(bench/bench_dashboard.py).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    """Footer whose key list is rebuilt only when a shown key, its label or its state changes."""

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # the Footer rebuilds with exactly these keys (it skips otherwise)
        super().bindings_changed(screen)
