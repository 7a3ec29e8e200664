"""A 28x28 canvas to draw a digit on, with the mouse or the keyboard.

Mouse: drag with the left button to paint with a soft brush, with the right button to erase.
Keys: arrows move a cursor, Space paints at it, Backspace/Delete erases there, c clears all.
Each cell shows two pixel rows (half blocks), so a cell is 1 column by 2 pixels; a mouse
position paints the brush at the cell's centre (between its two pixel rows). Every change
posts `DigitCanvas.Changed` with a copy of the ink (0..1 floats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import MouseDown, MouseMove, MouseUp
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

SIDE = 28
BRUSH_RADIUS = 1.6
"""Pixels within this distance of the brush centre get ink, fading with distance (a soft round tip)."""
UPPER_HALF = "\u2580"
PAPER = np.array([14.0, 14.0, 22.0])
INK = np.array([250.0, 250.0, 250.0])


def brush(ink: np.ndarray, row: float, col: float, amount: float = 1.0) -> None:
    """Add (amount > 0) or remove (amount < 0) ink around (row, col) in place, clipped to 0..1."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    distance = np.hypot(rows - row, cols - col)
    weight = np.clip(1.0 - distance / BRUSH_RADIUS, 0.0, 1.0) ** 0.8
    np.clip(ink + amount * weight, 0.0, 1.0, out=ink)


class DigitCanvas(Widget, can_focus=True):
    """Draw here; `ink` holds the picture (row 0 at the top)."""

    ALLOW_SELECT = False
    """A drag paints: it must not also start selecting the text of the widgets beside the canvas."""

    DEFAULT_CSS = """
    DigitCanvas { width: 30; height: 16; border: round $primary 50%; }
    DigitCanvas:focus { border: round $accent; }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("space", "paint", "Paint", tooltip="Paint at the cursor"),
        Binding("backspace,delete", "erase", "Erase", show=False, tooltip="Erase at the cursor"),
        Binding("c", "clear", "Clear", tooltip="Clear the canvas"),
    ]

    cursor: reactive[tuple[int, int]] = reactive((14, 14))

    @dataclass
    class Changed(Message):
        """The drawing changed; `ink` is a copy (28x28 floats, 0 paper to 1 ink)."""

        canvas: "DigitCanvas"
        ink: np.ndarray

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ink = np.zeros((SIDE, SIDE))
        self._stroke = 0.0
        self.border_title = "Draw a digit"
        self.border_subtitle = "drag · right erases · c clears"

    # ----- drawing ------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.Changed(self, self.ink.copy()))

    def paint_at(self, row: float, col: float, amount: float = 1.0) -> None:
        brush(self.ink, row, col, amount)
        self._changed()

    def action_move(self, rows: int, cols: int) -> None:
        r, c = self.cursor
        self.cursor = (min(SIDE - 1, max(0, r + rows)), min(SIDE - 1, max(0, c + cols)))

    def action_paint(self) -> None:
        self.paint_at(*self.cursor)

    def action_erase(self) -> None:
        self.paint_at(*self.cursor, amount=-1.0)

    def action_clear(self) -> None:
        self.ink[:] = 0.0
        self._changed()

    def watch_cursor(self) -> None:
        self.refresh()

    # ----- mouse --------------------------------------------------------------------------------

    def _pixel(self, x: int, y: int) -> tuple[float, float] | None:
        """The pixel (row, col) under content offset (x, y): the middle of the cell's two rows."""
        if not (0 <= x < SIDE and 0 <= y < SIDE // 2):
            return None
        return 2 * y + 0.5, float(x)

    def on_mouse_down(self, event: MouseDown) -> None:
        self._stroke = -1.0 if event.button == 3 else 1.0
        self.capture_mouse()
        self.focus()
        self._stroke_to(event)

    def on_mouse_move(self, event: MouseMove) -> None:
        if self._stroke:  # between our own down and up (the mouse is captured, so the up arrives)
            self._stroke_to(event)

    def on_mouse_up(self, event: MouseUp) -> None:
        self._stroke = 0.0
        self.release_mouse()

    def _stroke_to(self, event: MouseDown | MouseMove) -> None:
        offset = event.get_content_offset(self)
        pixel = None if offset is None else self._pixel(offset.x, offset.y)
        if pixel is not None:
            self.cursor = (min(SIDE - 1, int(pixel[0])), int(pixel[1]))
            self.paint_at(*pixel, amount=0.6 * self._stroke)

    # ----- rendering ----------------------------------------------------------------------------

    def _colour(self, row: int, col: int) -> Color:
        rgb = PAPER + (INK - PAPER) * self.ink[row, col]
        if (row, col) == self.cursor and self.has_focus:
            rgb = np.array([255.0, 190.0, 0.0])
        return Color.from_rgb(*np.round(rgb).astype(int))

    def render_line(self, y: int) -> Strip:
        if y >= SIDE // 2:
            return Strip.blank(self.size.width)
        segments = [Segment(UPPER_HALF, Style(color=self._colour(2 * y, c), bgcolor=self._colour(2 * y + 1, c)))
                    for c in range(SIDE)]
        return Strip(segments, SIDE).extend_cell_length(self.size.width)
