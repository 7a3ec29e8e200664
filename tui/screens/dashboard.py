"""The dashboard's main screen: a focus move repaints only the widgets it changes."""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class DashboardScreen(Screen):
    """Textual's Screen repaints every widget on it whenever the focus moves.

    Its `focused` reactive repaints the whole screen, although the widgets that gain and lose
    focus restyle and repaint themselves. On the dashboard (160x50) that full repaint was most
    of a Tab's cost (about 12 ms of a 50 ms focus move, bench/bench_dashboard.py).
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """The focused widget, or None (set it with `set_focus`, as on any Screen)."""
