"""The History's DataTable, with a cell update that repaints one row instead of the whole table.

Textual's `DataTable.update_cell` counts an update that every render cache is keyed on, so one
cell changed re-renders every visible row: with an epoch committed each second by each run
training, that was most of the dashboard's CPU for each epoch. `set_cells` changes a row's
cells, evicts only that row from the caches and repaints only its line. It reaches into the table's
private caches (Textual is pinned to 8.2.x; tests/tui cover it) and falls back to
`update_cell` when a column must grow.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable


class HistoryTable(DataTable):
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
