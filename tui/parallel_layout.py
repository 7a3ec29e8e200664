"""Parallel-coordinates geometry as plain data: value -> row and column, lines -> braille cells.

One polyline per trial crosses a vertical axis per varied option and ends on an accuracy axis.
Each terminal cell holds a 2x4 grid of braille dots, so lines are rasterised on a grid twice as
wide and four times as tall as the cell grid (Bresenham), then packed into braille characters.
Where lines cross, a cell takes the value of the line drawn last; lines are drawn worst first,
so the best trials stay on top. No Textual here: the widget only maps cells to colours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.safe_text import plain

BRAILLE = 0x2800
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Bit of the braille dot at (sub-row, sub-column) inside one cell (Unicode braille order)."""
AXIS, TICK = "│", "├"


def _label(value: Any) -> str:
    """A value as an axis label; control characters made visible (values can come from a stored spec)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "none"
    return plain(value)


@dataclass(frozen=True)
class Axis:
    """A vertical axis: categories spread evenly, or numbers scaled linearly or logarithmically.

    `position(value)` is 0 at the bottom and 1 at the top; None when the value is not on the axis.
    """

    name: str
    kind: str = "category"
    categories: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 1.0
    percent: bool = False
    """Numeric labels as percentages (the accuracy axis)."""

    @classmethod
    def category(cls, name: str, values: Iterable[Any]) -> "Axis":
        """Distinct values in their given order (numbers sorted)."""
        distinct: list[Any] = []
        for value in values:
            if value not in distinct:
                distinct.append(value)
        if distinct and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct):
            distinct.sort()
        return cls(name, "category", tuple(distinct))

    @classmethod
    def numeric(cls, name: str, values: Iterable[float], *, log: bool = False, percent: bool = False) -> "Axis":
        """An axis spanning `values`; a single value (or none) gets a small span around it."""
        finite = [float(v) for v in values if v is not None and math.isfinite(v) and (v > 0 or not log)]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if high == low:
            pad = abs(low) * 0.1 or (0.005 if percent else 1.0)
            low, high = (low / 2, low * 2) if log else (low - pad, high + pad)
        return cls(name, "log" if log else "linear", (), low, high, percent)

    def position(self, value: Any) -> float | None:
        if self.kind == "category":
            if value not in self.categories:
                return None
            n = len(self.categories)
            return 0.5 if n == 1 else self.categories.index(value) / (n - 1)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        if self.kind == "log":
            if value <= 0:
                return None
            low, high, value = math.log(self.low), math.log(self.high), math.log(value)
        else:
            low, high = self.low, self.high
        return min(1.0, max(0.0, (value - low) / (high - low)))

    def text(self, value: Any) -> str:
        if self.percent and isinstance(value, (int, float)):
            return f"{100 * value:.2f}%"
        return _label(value)

    def ticks(self, rows: int) -> list[tuple[float, str]]:
        """(position, label) pairs to print, at most one per row of a `rows`-high plot."""
        if self.kind == "category":
            marks = [(self.position(v), self.text(v)) for v in self.categories]
        else:
            middle = math.sqrt(self.low * self.high) if self.kind == "log" else (self.low + self.high) / 2
            marks = [(self.position(v), self.text(v)) for v in (self.low, middle, self.high)]
            if rows < 5:
                marks = [marks[0], marks[2]]
        kept: dict[int, tuple[float, str]] = {}
        for position, label in marks:
            kept.setdefault(row_of(position, rows), (position, label))
        return list(kept.values())


@dataclass(frozen=True)
class Line:
    """One trial: its position on every axis (None: no value there) and the value that colours it."""

    positions: tuple[float | None, ...]
    value: float | None
    emphasis: bool = False


@dataclass(frozen=True)
class Cell:
    """What one terminal cell shows: `kind` is blank, line, axis, tick, label or name.

    `value` is the colouring value of the line on top (line cells); `emphasis` marks the
    highlighted trial.
    """

    char: str = " "
    kind: str = "blank"
    value: float | None = None
    emphasis: bool = False


def row_of(position: float, rows: int) -> int:
    """Cell row of an axis position (1 = top row 0, 0 = bottom row rows-1)."""
    return min(rows - 1, max(0, int(round((1.0 - position) * (4 * rows - 1))) // 4))


def dot_row(position: float, rows: int) -> int:
    """Braille dot row (0 at the top, 4*rows-1 at the bottom) of an axis position."""
    return int(round((1.0 - position) * (4 * rows - 1)))


def axis_columns(count: int, width: int, right_margin: int) -> list[int]:
    """Columns of `count` axes spread over `width` cells, the last `right_margin` cells left for labels."""
    span = max(0, width - 1 - right_margin)
    if count == 1:
        return [0]
    return [round(i * span / (count - 1)) for i in range(count)]


def raster(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Every grid point of the straight segment from (x0, y0) to (x1, y1), ends included (Bresenham)."""
    points = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error = dx + dy
    while True:
        points.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return points
        twice = 2 * error
        if twice >= dy:
            error += dy
            x0 += sx
        if twice <= dx:
            error += dx
            y0 += sy


def _sort_key(line: Line) -> tuple[int, float]:
    return (line.emphasis, -math.inf if line.value is None else line.value)


def draw(axes: Sequence[Axis], lines: Sequence[Line], width: int, height: int) -> list[list[Cell]]:
    """The plot as `height` rows of `width` cells: lines, axes with their tick labels, names on the last row.

    The last axis keeps a right margin wide enough for its labels; other axes' labels sit just
    right of their axis, cut to the gap before the next axis.
    """
    rows = height - 1
    grid = [[Cell() for _ in range(width)] for _ in range(height)]
    if rows < 1 or width < 2 or not axes:
        return grid
    last_labels = [label for _, label in axes[-1].ticks(rows)]
    margin = min(max((len(t) for t in last_labels), default=0) + 1, width // 3)
    columns = axis_columns(len(axes), width, margin)

    dots = [[0] * width for _ in range(rows)]
    tops: dict[tuple[int, int], Line] = {}
    for line in sorted(lines, key=_sort_key):
        for i in range(len(axes) - 1):
            a, b = line.positions[i], line.positions[i + 1]
            if a is None or b is None:
                continue
            for x, y in raster(2 * columns[i] + 1, dot_row(a, rows), 2 * columns[i + 1], dot_row(b, rows)):
                row, col = y // 4, x // 2
                if 0 <= row < rows and 0 <= col < width:
                    dots[row][col] |= DOT_BITS[y % 4][x % 2]
                    tops[row, col] = line
    for (row, col), line in tops.items():
        grid[row][col] = Cell(chr(BRAILLE + dots[row][col]), "line", line.value, line.emphasis)

    for i, (axis, column) in enumerate(zip(axes, columns)):
        for row in range(rows):
            grid[row][column] = Cell(AXIS, "axis")
        room = (columns[i + 1] - column - 2) if i + 1 < len(axes) else width - column - 1
        for position, label in axis.ticks(rows):
            row = row_of(position, rows)
            grid[row][column] = Cell(TICK, "tick")
            for k, char in enumerate(label[: max(0, room)]):
                grid[row][column + 1 + k] = Cell(char, "label")
        name_room = (columns[i + 1] - column - 1) if i + 1 < len(axes) else width - column
        for k, char in enumerate(plain(axis.name)[: max(1, name_room)]):
            if column + k < width:
                grid[rows][column + k] = Cell(char, "name")
    return grid


def fanned(axis: Axis, value: Any, rank: float) -> float | None:
    """`axis.position(value)`, moved within its category by `rank` in [0, 1] (0 lowest, 1 highest).

    Trials sharing a category would otherwise meet in one point and hide each other; fanned out
    by accuracy, the lines into a category show how many there are and which do best. The fan
    spans a quarter of the gap between neighbouring categories, so categories stay apart.
    """
    position = axis.position(value)
    if position is None or axis.kind != "category":
        return position
    gap = 1.0 if len(axis.categories) < 2 else 1.0 / (len(axis.categories) - 1)
    return min(1.0, max(0.0, position + (rank - 0.5) * gap / 4))
