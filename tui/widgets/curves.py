"""Loss and accuracy per epoch, train vs validation vs test, redrawn when an epoch ends.

textual-plotext draws axes, ticks and several coloured series in a terminal cell grid;
Textual's own Sparkline shows one series without axes, which cannot compare splits. The
legend is a line of text under the plots because plotext's legend box would hide the
start of the curves.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

SPLITS = (("train", (86, 156, 255)), ("val", (255, 166, 48)), ("test", (80, 220, 100)))


def legend() -> Text:
    text = Text()
    for split, rgb in SPLITS:
        text.append(" ━━ ", style="rgb({},{},{})".format(*rgb))
        text.append(split + "  ")
    return text


class Curves(Vertical):
    """Two plots side by side; `show(records)` redraws both from the epoch records."""

    DEFAULT_CSS = """
    Curves { height: 1fr; min-height: 12; border: round $primary 50%; }
    Curves Horizontal { height: 1fr; }
    Curves PlotextPlot { width: 1fr; }
    Curves #curves-legend { height: 1; content-align: center middle; width: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Curves"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield PlotextPlot(id="loss-plot")
            yield PlotextPlot(id="acc-plot")
        yield Static(legend(), id="curves-legend")

    def on_mount(self) -> None:
        self.show([])

    def show(self, records: list[dict[str, Any]]) -> None:
        self._draw("loss-plot", "loss", "loss", records)
        self._draw("acc-plot", "accuracy", "acc", records)

    def _draw(self, plot_id: str, title: str, metric: str, records: list[dict[str, Any]]) -> None:
        widget = self.query_one(f"#{plot_id}", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.title(title)
        epochs = [r["epoch"] for r in records]
        for split, rgb in reversed(SPLITS):  # train last, on top
            values = [r.get(f"{split}_{metric}") for r in records]
            if epochs and all(v is not None for v in values):
                plt.plot(epochs, values, color=rgb, marker="braille")
        if 0 < len(epochs) <= 10:
            plt.xticks(epochs)
        widget.refresh()
