"""The first layer's weight pictures: every hidden unit as a small tile; arrows pick one.

Tiles are the central 24x24 weights (digits never reach the 2-pixel margin, whose weights keep
their initial noise) averaged in 3x3 blocks: 8x8, so 14 fit in a row of 126 columns and all 64
units of the default network take 24 lines; the picked unit is drawn full size beside them by the
Inside pane. Colours and scale: tui.weight_art.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.weight_art import tile_grid

FACTOR, MARGIN = 3, 2
TILE = (28 - 2 * MARGIN) // FACTOR
CELL_W, CELL_H = TILE + 1, (TILE + 1) // 2 + 1  # a space after each tile; a caption line under each row


class WeightTiles(Widget, can_focus=True):
    """`show(tiles, scale)` draws (units, 28, 28) tiles; `picked` is the chosen unit (0-based)."""

    DEFAULT_CSS = """
    WeightTiles { height: auto; width: 1fr; }
    """

    BINDINGS = [
        Binding("left", "pick(-1, 0)", "Previous unit", show=False),
        Binding("right", "pick(1, 0)", "Next unit", show=False),
        Binding("up", "pick(0, -1)", "Unit above", show=False),
        Binding("down", "pick(0, 1)", "Unit below", show=False),
    ]

    picked: reactive[int] = reactive(0)

    @dataclass
    class Picked(Message):
        tiles: "WeightTiles"
        unit: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tiles = np.zeros((0, 28, 28))
        self.scale = 1.0
        self.empty_note = "no weight pictures"

    def show(self, tiles: np.ndarray, scale: float) -> None:
        self.tiles, self.scale = tiles, scale
        if self.picked >= len(tiles):
            self.picked = 0
        self.refresh(layout=True)

    @property
    def columns(self) -> int:
        return max(1, (self.size.width or 80) // CELL_W)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        columns = max(1, width // CELL_W)
        return max(1, -(-len(self.tiles) // columns) * CELL_H - 1)

    def render(self) -> Text:
        if not len(self.tiles):
            return Text(self.empty_note, style="dim")
        return tile_grid(self.tiles, self.scale, self.columns, factor=FACTOR, picked=self.picked, margin=MARGIN)

    def watch_picked(self, unit: int) -> None:
        self.refresh()
        self.post_message(self.Picked(self, unit))
        self.call_after_refresh(self._scroll_to_picked)

    def _scroll_to_picked(self) -> None:
        """Bring the picked tile into view: at 80x24 most tiles lie below the pane's window.

        Only the tile, not the whole widget (taller than the window), so the pane moves as little
        as it must and the arrows never lose the picked unit off screen.
        """
        pane = next((w for w in self.ancestors if isinstance(w, Widget) and w.styles.overflow_y in ("auto", "scroll")), None)
        if pane is None or not self.tiles.size:
            return
        row, col = divmod(self.picked, self.columns)
        tile = Region(self.content_region.x + col * CELL_W, self.content_region.y + row * CELL_H, TILE, CELL_H)
        pane.scroll_to_region(tile.translate(pane.scroll_offset - pane.content_region.offset), animate=False, immediate=True)

    def action_pick(self, dx: int, dy: int) -> None:
        if len(self.tiles):
            self.picked = int(np.clip(self.picked + dx + dy * self.columns, 0, len(self.tiles) - 1))

    def on_click(self, event: Click) -> None:
        unit = (event.y // CELL_H) * self.columns + event.x // CELL_W
        if 0 <= unit < len(self.tiles) and event.x % CELL_W < TILE:
            self.picked = unit
