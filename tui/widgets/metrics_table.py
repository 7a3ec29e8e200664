"""One row per finished epoch: train / validation / test loss and accuracy, learning rate, seconds."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import DataTable

COLUMNS = (
    ("epoch", "Ep"),
    ("train_loss", "Loss"),
    ("train_acc", "Acc"),
    ("val_loss", "Val loss"),
    ("val_acc", "Val acc"),
    ("test_loss", "Test loss"),
    ("test_acc", "Test acc"),
    ("lr", "LR"),
    ("seconds", "Sec"),
)


def format_cell(key: str, value: Any) -> Text:
    """Right-aligned text; '-' for a split the run does not have."""
    if value is None:
        text = "-"
    elif key == "epoch":
        text = str(value)
    elif key.endswith("_acc"):
        text = f"{value:.2%}"
    elif key.endswith("_loss"):
        text = f"{value:.4f}"
    elif key == "lr":
        text = f"{value:.4g}"
    else:
        text = f"{value:.1f}"
    return Text(text, justify="right")


class MetricsTable(DataTable):
    """The epochs of the current run; the newest row is kept in view."""

    virtual_size = Reactive(Size(0, 0), layout=False)
    """DataTable's scrollable size, which grows by a row per epoch. Widget's own asks for a
    layout pass of the whole screen on every change (20-40 ms during a run, each epoch; a
    full-MNIST epoch takes 0.3 s). The table's box does not depend on it: only the scrollbars
    do, and they ask for a layout themselves when they appear or go (watch_virtual_size)."""

    DEFAULT_CSS = """
    MetricsTable { height: 1fr; min-height: 4; border: round $primary 50%; }
    MetricsTable:focus { border: round $primary; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.border_title = "Epochs  (Loss, Acc: training set)"

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)  # what the layout pass did: scrollbars shown or not, and sized

    def add_record(self, record: dict[str, Any]) -> None:
        self.add_row(*(format_cell(key, record.get(key)) for key, _ in COLUMNS), key=str(record["epoch"]))
        self.move_cursor(row=self.row_count - 1)

    def reset(self) -> None:
        self.clear()
