"""The History's DataTable: a cell update that repaints one row, and a quicker way to draw a cell.

Textual's `DataTable.update_cell` counts an update that every render cache is keyed on, so one
cell changed re-renders every visible row: with an epoch committed each second by each run
training, that was most of the dashboard's CPU for each epoch. `set_cells` changes a row's
cells, evicts only that row from the caches and repaints only its line.

Every cell of the screen is drawn again whenever the table's cached cells do not serve: a page
down (45 new rows), the focus leaving or entering the table (the cache is keyed on it), a new sort.
DataTable draws each cell through Rich's general layout (Styled(Padding(cell)), lines split, cropped
and padded): 560 cells took 30-50 ms, most of a key's time at 160x48. Our cells are one line of
`Text` each; `_render_cell` lays those out directly (`one_line_cell`, the same result as Rich's,
checked cell by cell in tests/tui/test_history_table.py) and leaves any other cell to DataTable.

Both reach into the table's private caches (Textual is pinned to 8.2.x; tests/tui cover it);
`set_cells` falls back to `update_cell` when a column must grow.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._types import SegmentLines
from textual.widgets import DataTable


def one_line_cell(cell: Text, width: int, padding: int, console: Console) -> list[Segment] | None:
    """The segments of `cell` laid out in `width` columns as DataTable lays out a row of height 1
    (Rich's no-wrap Text layout inside `padding` spaces each side), or None if it cannot say."""
    inner = width - 2 * padding
    justify = cell.justify or "default"
    if inner < 1 or justify not in ("default", "left", "right") or "\n" in cell.plain or "\t" in cell.plain:
        return None
    line = cell.copy()
    line.end = ""
    overflow = cell.overflow or "fold"
    gap = []
    if justify == "right":
        line.rstrip()
        line.truncate(inner, overflow=overflow)
        line.pad_left(inner - line.cell_len)
    elif justify == "left":
        line.truncate(inner, overflow=overflow, pad=True)
    else:  # no justification: Rich pads the line afterwards, in no style
        line.truncate(inner, overflow=overflow)
        gap = [Segment(" " * (inner - line.cell_len), Style.null())] if line.cell_len < inner else []
    edge = Segment(" " * padding, Style.null())
    # join, as Rich does: it turns the line's own style into its first span (render alone ignores it)
    return [edge, *Text().join([line]).render(console), *gap, edge]


class HistoryTable(DataTable):
    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> SegmentLines:
        """DataTable's own `_render_cell` (same cache, same styles), with one-line Text cells laid out directly."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        cell = self._data.get(row_key, {}).get(column_key)
        row = self.rows.get(row_key)
        segments = (one_line_cell(cell, width, self.cell_padding, self.app.console)
                    if isinstance(cell, Text) and row is not None and row.height == 1 else None)
        if segments is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        lines = [list(Segment.apply_style(segments, pre_style, post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines

    def set_cells(self, row_key: str, cells: dict[str, Text]) -> None:
        """Put `cells` (by column key) into row `row_key`, repainting that row only."""
        changed = {c: cell for c, cell in cells.items() if self.get_cell(row_key, c) != cell}
        if not changed:
            return
        if any(cell.cell_len > self.columns[c].content_width for c, cell in changed.items()):
            for column, cell in changed.items():
                # update_cell widens the column only when idle, but keys the row caches by this
                # update: a row drawn in between (the cursor's) kept the old widths until the cursor
                # moved (`3  2026-11-3  mnist`). Widen it now, before any row is drawn.
                self.columns[column].content_width = max(self.columns[column].content_width, cell.cell_len)
                self.update_cell(row_key, column, cell, update_width=True)
            return
        key = self.rows[row_key].key
        for column, cell in changed.items():
            self._data[key][self.columns[column].key] = cell
        for cache in (self._cell_render_cache, self._row_render_cache):
            for cached in [k for k in cache.keys() if k[0] == key]:
                cache.discard(cached)
        index = self.get_row_index(row_key)
        for cached in [k for k in self._row_renderable_cache.keys() if k[1] == index]:
            self._row_renderable_cache.discard(cached)
        self._line_cache.clear()
        self.refresh_row(index)
