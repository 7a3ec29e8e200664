"""A Footer that rebuilds only when the keys it shows change.

Textual's Footer rebuilds all its key widgets whenever the focused widget changes; in the
options panel every Tab is such a change, and the rebuild was the largest cost of a focus move
(bench/bench_dashboard.py).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

WIDE_ONLY_ACTIONS = ("show_confusion", "report", "delete", "next_section")
"""Keys the footer shows only on a wide screen (History's v, p and d are in the command palette,
Studies' v is named above its sections): at 80 columns the footer then has room for the tab's own
keys. The tab keys are never in the footer: each tab's label says its key (`History F4`)."""
TRAIN_ACTIONS = ("start_run", "cancel_run", "pause_run", "reset_options")
"""F5, F6, F8 and F9 work everywhere, but the footer shows them on the Train tab only (on History, at
160 columns, they pushed the tab's own keys under the palette key)."""


class QuietFooter(Footer):
    """Footer whose key list is rebuilt only when a shown key, its label or its state changes."""

    _shown: tuple | None = None

    def compose(self) -> ComposeResult:
        on_train = self._active_tab() in ("train", None)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                if widget.action.startswith(WIDE_ONLY_ACTIONS):
                    widget.add_class("-wide-only")  # hidden by app.tcss on a -narrow screen
                if not on_train and widget.action.startswith(TRAIN_ACTIONS):
                    widget.add_class("-train-only")  # hidden by app.tcss
            yield widget

    def _active_tab(self) -> str | None:
        tabs = self.screen.query("TabbedContent")
        return tabs.first().active if tabs else None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        ) + (self._active_tab() if screen is self.screen else None,)
        if shown == self._shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # the Footer rebuilds with exactly these keys (it skips otherwise)
        super().bindings_changed(screen)
