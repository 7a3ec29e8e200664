"""A 10x10 confusion-matrix heatmap with recall and precision margins and a cell cursor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

CELL = 6
"""Characters per count cell: up to 5 digits and a space."""
MARGIN = 8
"""Characters of the recall column."""

_BASE = (30, 30, 36)
_HIT = (40, 160, 70)
_MISS = (200, 60, 50)


def blend(target: tuple[int, int, int], amount: float) -> Color:
    """A background from the dark base colour towards `target` by `amount` (0-1, clamped)."""
    amount = min(max(amount, 0.0), 1.0)
    return Color.from_rgb(*(b + (t - b) * amount for b, t in zip(_BASE, target)))


def _percent(value: float) -> str:
    return "—" if value != value else f"{100 * value:.1f}%"


def recall_precision(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class recall (diagonal / row sum) and precision (diagonal / column sum); NaN where empty."""
    diag = np.diag(matrix).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = diag / matrix.sum(axis=1)
        precision = diag / matrix.sum(axis=0)
    return recall, precision


@dataclass
class CellMessage(Message):
    """A cell (true row, predicted column) of a ConfusionMatrix holding `count` test images."""

    matrix: "ConfusionMatrix"
    true: int
    predicted: int
    count: int

    @property
    def control(self) -> "ConfusionMatrix":
        return self.matrix


class ConfusionMatrix(Widget, can_focus=True):
    """Counts with true classes as rows and predictions as columns.

    A diagonal cell is greener the higher its recall; an off-diagonal cell is redder the larger
    its share of the worst confusion, so the pairs worth looking at stand out.
    """

    DEFAULT_CSS = """
    ConfusionMatrix {
        width: auto;
        height: auto;
        padding: 0 1;
    }
    ConfusionMatrix:focus {
        background: $boost;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("enter", "select", "Show images"),
    ]

    class CellHighlighted(CellMessage):
        """The cursor moved to (true, predicted), which holds `count` test images."""

    class CellSelected(CellMessage):
        """Enter or a click on (true, predicted): show those images."""

    cursor: reactive[tuple[int, int]] = reactive((0, 0))
    """(true row, predicted column) under the cursor."""

    def __init__(
        self,
        matrix: np.ndarray | None = None,
        class_names: tuple[str, ...] | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._matrix: np.ndarray | None = None
        self._names: tuple[str, ...] = ()
        self.set_matrix(matrix, class_names)

    @property
    def matrix(self) -> np.ndarray | None:
        return self._matrix

    def set_matrix(self, matrix, class_names: tuple[str, ...] | None = None) -> None:
        """Show `matrix` (square counts, or None for nothing); names default to the class numbers."""
        self._matrix = None if matrix is None else np.asarray(matrix, dtype=np.int64)
        size = 0 if self._matrix is None else len(self._matrix)
        names = tuple(class_names or ())
        self._names = names if len(names) == size else tuple(str(i) for i in range(size))
        self.set_reactive(ConfusionMatrix.cursor, (0, 0))
        self.refresh(layout=True)

    # geometry -----------------------------------------------------------------------------
    @property
    def _numbered(self) -> bool:
        """Fashion-MNIST style names get an index prefix and a header line of short names."""
        return any(name != str(i) for i, name in enumerate(self._names))

    def _label_width(self) -> int:
        labels = [self._row_label(i) for i in range(len(self._names))]
        return max([len("precision"), len("true\\pred"), *map(len, labels)]) + 1

    def _row_label(self, row: int) -> str:
        name = self._names[row]
        return f"{row} {name}" if self._numbered else name

    def _header_lines(self) -> int:
        return 2 if self._numbered else 1

    def get_content_width(self, container: Size, viewport: Size) -> int:
        if self._matrix is None:
            return 20
        return self._label_width() + CELL * len(self._matrix) + MARGIN

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._matrix is None:
            return 1
        return self._header_lines() + len(self._matrix) + 1

    # drawing ------------------------------------------------------------------------------
    def render(self) -> Text:
        if self._matrix is None:
            return Text("no confusion matrix", style="dim")
        matrix = self._matrix
        n = len(matrix)
        recall, precision = recall_precision(matrix)
        label_w = self._label_width()
        off = matrix.copy()
        np.fill_diagonal(off, 0)
        worst = max(int(off.max()), 1)
        header = Style(bold=True)
        text = Text(no_wrap=True)
        text.append("true\\pred".ljust(label_w), header)
        for col in range(n):
            text.append(str(col).rjust(CELL - 1) + " ", header)
        text.append("recall".rjust(MARGIN), header)
        if self._numbered:
            text.append("\n" + " " * label_w)
            for col in range(n):
                text.append(self._names[col][: CELL - 1].rjust(CELL - 1) + " ", Style(dim=True))
        focused = self.has_focus
        for row in range(n):
            text.append("\n")
            text.append(self._row_label(row).ljust(label_w), header)
            for col in range(n):
                count = int(matrix[row, col])
                if row == col:
                    bg = blend(_HIT, 0.25 + 0.75 * np.nan_to_num(recall[row]))
                else:
                    bg = blend(_MISS, count / worst)
                style = Style(bgcolor=bg, color="white" if count else "grey42")
                if (row, col) == self.cursor:
                    style += Style(reverse=True, bold=True) if focused else Style(underline=True, bold=True)
                text.append(f"{count:>{CELL - 1}} ", style)
            text.append(_percent(recall[row]).rjust(MARGIN))
        text.append("\n" + "precision".ljust(label_w), header)
        for col in range(n):
            text.append(_percent(precision[col]).rjust(CELL))
        return text

    # interaction --------------------------------------------------------------------------
    def watch_cursor(self, cursor: tuple[int, int]) -> None:
        if self._matrix is not None:
            row, col = cursor
            self.post_message(self.CellHighlighted(self, row, col, int(self._matrix[row, col])))

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    def action_move(self, rows: int, cols: int) -> None:
        if self._matrix is None:
            return
        n = len(self._matrix)
        row, col = self.cursor
        self.cursor = (min(max(row + rows, 0), n - 1), min(max(col + cols, 0), n - 1))

    def action_select(self) -> None:
        if self._matrix is not None:
            row, col = self.cursor
            self.post_message(self.CellSelected(self, row, col, int(self._matrix[row, col])))

    def cell_at(self, x: int, y: int) -> tuple[int, int] | None:
        """The (row, column) drawn at content offset (x, y), if it is a count cell."""
        if self._matrix is None:
            return None
        n = len(self._matrix)
        row = y - self._header_lines()
        if x < self._label_width():
            return None
        col = (x - self._label_width()) // CELL
        if 0 <= row < n and 0 <= col < n:
            return row, col
        return None

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        cell = None if offset is None else self.cell_at(offset.x, offset.y)
        if cell is None:
            return
        self.focus()
        self.cursor = cell
        self.action_select()
