"""A parallel-coordinates plot drawn with braille characters: one line per trial, coloured by accuracy.

The geometry (axes, rasterised lines, labels) comes from tui.parallel_layout; this widget only
maps its cells to colours and adds a legend row with the colour scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.parallel_layout import Axis, Cell, Line, draw

SCALE = ((70, 110, 230), (0, 175, 215), (60, 200, 110), (200, 215, 40), (255, 170, 30))
"""Colour stops from the lowest to the highest accuracy (blue -> cyan -> green -> yellow -> orange):
every stop stays bright enough to read on a dark background."""
NO_VALUE = (110, 110, 110)
EMPHASIS = (255, 255, 255)


def scale_colour(t: float) -> tuple[int, int, int]:
    """The colour at `t` in [0, 1] along SCALE (linear between stops; outside values clamp)."""
    t = min(1.0, max(0.0, t)) * (len(SCALE) - 1)
    i = min(int(t), len(SCALE) - 2)
    f = t - i
    low, high = SCALE[i], SCALE[i + 1]
    return tuple(round(a + (b - a) * f) for a, b in zip(low, high))  # type: ignore[return-value]


def _rgb(colour: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*colour)


class ParallelCoords(Widget):
    """`show(axes, lines)` draws the trials; the last axis is the colouring value (validation accuracy)."""

    DEFAULT_CSS = """
    ParallelCoords { height: 1fr; min-height: 6; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.axes: list[Axis] = []
        self.lines: list[Line] = []
        self.note = ""
        """Shown instead of the plot when there is nothing to draw."""

    def show(self, axes: Sequence[Axis], lines: Sequence[Line], note: str = "") -> None:
        if list(axes) != self.axes or list(lines) != self.lines or note != self.note:
            self.axes, self.lines, self.note = list(axes), list(lines), note
            self.refresh()

    def _style(self, cell: Cell, low: float, high: float) -> Style | str:
        if cell.kind == "line":
            if cell.emphasis:
                return Style(color=_rgb(EMPHASIS), bold=True)
            if cell.value is None:
                return _rgb(NO_VALUE)
            return _rgb(scale_colour((cell.value - low) / (high - low) if high > low else 1.0))
        return {"axis": "dim", "tick": "dim", "label": "bold", "name": "bold underline"}.get(cell.kind, "")

    def legend(self, width: int) -> Text:
        """The colour scale from the accuracy axis's low to high value, and what grey and white mean."""
        text = Text()
        if not self.axes:
            return text
        axis = self.axes[-1]
        text.append(f"{axis.name}: ")
        text.append(axis.text(axis.low) + " ")
        steps = max(4, min(24, width // 5))
        for k in range(steps):
            text.append("█", style=_rgb(scale_colour(k / (steps - 1))))
        text.append(" " + axis.text(axis.high))
        text.append("   ")
        text.append("⣿", style=_rgb(NO_VALUE))
        text.append(" no result yet  ")
        text.append("⣿", style=Style(color=_rgb(EMPHASIS), bold=True))
        text.append(" selected trial")
        text.truncate(width)
        return text

    def render(self) -> Text:
        width, height = self.content_size
        if self.note or not self.axes:
            return Text(self.note or "No trials yet.", style="dim")
        if height < 4 or width < 20:
            return Text("Too small for the plot.", style="dim")
        grid = draw(self.axes, self.lines, width, height - 1)
        low, high = self.axes[-1].low, self.axes[-1].high
        text = Text(no_wrap=True, overflow="crop")
        for row in grid:
            run, run_style = "", None
            for cell in row:  # one span per run of equal style, not one per cell
                style = self._style(cell, low, high)
                if style != run_style and run:
                    text.append(run, style=run_style)
                    run = ""
                run, run_style = run + cell.char, style
            text.append(run + "\n", style=run_style)
        text.append_text(self.legend(width))
        return text
