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
NARROW_KEYS = ("epoch", "train_loss", "train_acc", "val_acc", "test_acc")
"""The columns that fit beside the options at 80 columns: what tells whether the network learns."""


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
        self._narrow = False
        self._records: list[dict[str, Any]] = []

    def on_mount(self) -> None:
        for key, label in self._columns():
            self.add_column(label, key=key)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)  # what the layout pass did: scrollbars shown or not, and sized

    def _columns(self) -> list[tuple[str, str]]:
        return [(key, label) for key, label in COLUMNS if not self._narrow or key in NARROW_KEYS]

    def set_narrow(self, narrow: bool) -> None:
        """Show only NARROW_KEYS (a small terminal) or every column; the rows are redrawn."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        records = self._records
        self.clear(columns=True)
        self._records = []
        for key, label in self._columns():
            self.add_column(label, key=key)
        for record in records:
            self.add_record(record)

    def add_record(self, record: dict[str, Any]) -> None:
        self._records.append(record)
        self.add_row(*(format_cell(key, record.get(key)) for key, _ in self._columns()), key=str(record["epoch"]))
        self.move_cursor(row=self.row_count - 1)

    def reset(self) -> None:
        self._records = []
        self.clear()
