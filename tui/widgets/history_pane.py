"""Every run in the store as a live, sortable, filterable table; the place to compare, reload, delete, export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from runs.export import export_text
from runs.output_file import write_output
from runs.store import RunStore, StoreError
from tui.dialogs.confirm import ConfirmDialog
from tui.history_columns import (  # noqa: F401 (matches, sort_summaries: the pane's filter and order, re-exported)
    COLUMN_KEYS, COLUMNS, NUMERIC, Column, _pct, matches, sort_summaries, unknown_fields,
)
from tui.collector import collector_held
from tui.history_index import HistoryIndex
from tui.run_summary import RunSummary, summarize
from tui.safe_text import plain, safe_text
from tui.widgets.export_dialog import ExportDialog
from tui.widgets.history_table import HistoryTable
from tui.widgets.store_poll import StorePoll

FIELD_HELP = "id, data, arch, ep, val, last, test, time, status, lr, batch, or any option such as optimizer"
"""What a filter term can name, for the status line when a term names something else."""
NARROW_WIDTH = 120
NARROW_HIDDEN = frozenset({"date", "last", "time", "options"})
"""Columns left out below NARROW_WIDTH: at 80 columns the rest (test accuracy, status) fit."""
CHUNK = 2000
"""Runs read and summarised per step of a read (the first chunk's rows show while the rest is read)."""
PAGE_MIN = 50
"""Rows of the order the table draws at a time: a screenful and 10 more, at least this many (each
row drawn costs a measurement of its cells, and a new order draws its first page at once)."""
REMOVE_LIMIT = 16
"""More rows than this leaving the table at once: clear it and add the new window instead."""
SYNC_LIMIT = 500
"""Up to this many runs a new sort or filter is computed at once (a few ms); above, in a worker
(matching 1,000 runs against a filter already took 15 ms of a typed key)."""
SAMPLE = 200
"""Drawn rows whose config fields also count as known, besides this version's (for "unknown field")."""
MARK = "●"
STATUS_STYLE = {
    "completed": "green",
    "running": "bold cyan",
    "cancelled": "yellow",
    "diverged": "red",
    "failed": "bold red",
    "interrupted": "magenta",
    "damaged": "bold red reverse",
}


class HistoryPane(StorePoll, Vertical):
    """The run history, refreshed whenever any process writes to the store (polled every second)."""

    LOAD_GROUP = "history-load"

    DEFAULT_CSS = """
    HistoryPane {
        height: 1fr;
    }
    HistoryPane > #history-bottom {
        height: auto;
    }
    HistoryPane #history-filter {
        height: 3;
    }
    HistoryPane > DataTable {
        height: 1fr;
    }
    HistoryPane #history-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", tooltip="Mark or unmark this run (for Compare and Report)"),
        Binding("U", "clear_marks", "Unmark all", show=False, tooltip="Clear every mark (Shift+U)"),
        Binding("c", "compare", "Compare", tooltip="Compare the marked runs side by side (mark two or more with Space)"),
        Binding("v", "show_confusion", "Confusion", tooltip="Show this run's confusion matrix in the Confusion tab"),
        Binding("r", "load_options", "Re-use", tooltip="Put this run's options in the Train tab"),
        Binding("u", "continue_run", "Continue", show=False, tooltip="Continue this cancelled, interrupted or completed run from its last epoch"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete this run and its model file (asks first)"),
        Binding("e", "export", "Export", tooltip="Export this run to a .csv (epochs) or .json (whole run) file"),
        Binding("p", "report", "Report", tooltip="Write an HTML report of the marked runs (or this one)"),
        Binding("s", "sort_menu", "Sort", tooltip="Choose the column to sort by (again: reverse it)"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, tooltip="Reverse the sort order"),
        Binding("slash", "focus_filter", "Filter", show=False, tooltip="Type a filter, e.g. adam or status:completed"),
        Binding("escape", "focus_table", "Back to table", show=False),
    ]

    @dataclass
    class LoadOptions(Message):
        """Put this stored run config (RunConfig.to_dict() shape) into the options panel."""

        config: dict[str, Any]
        run_id: int | None = None

    @dataclass
    class ContinueRun(Message):
        """Continue this stored run from its checkpoint in the Train tab."""

        run_id: int

    @dataclass
    class ShowConfusion(Message):
        """Show the confusion matrix of this run."""

        run_id: int

    def __init__(self, store: RunStore, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.sort_column = "id"
        self.sort_reverse = True
        self.index = HistoryIndex(self.sort_column, self.sort_reverse)
        """Every run's summary and the filtered, sorted order (tui.history_index)."""
        self.marked: set[int] = set()
        """Ids marked with space for comparison or export."""
        self._seq: int | None = None
        """The store's change counter as of the last read (None: the store has not been read whole yet)."""
        self._version: int | None = None
        self._loading = False
        self._shown = PAGE_MIN
        """How many rows of the order the table holds: a page more each time the cursor reaches the end."""
        self._pending: tuple[set[int], set[int]] | None = None
        """Runs changed and deleted while a new order is built in a worker, replayed into it."""
        self._drawn: dict[str, tuple[RunSummary, bool]] = {}
        self._narrow = False
        """Laid out for a small terminal (fewer columns; see NARROW_HIDDEN)."""
        """What each table row shows (summary, marked), so a refresh redraws only changed rows."""
        self._status_text: str | None = None

    def compose(self) -> ComposeResult:
        yield HistoryTable(cursor_type="row", zebra_stripes=True, id="history-table")
        # The filter sits in its own container: when this pane's tab is hidden, Textual moves focus
        # to a focusable sibling of the focused widget, which would switch the tab straight back.
        with Vertical(id="history-bottom"):
            yield Input(placeholder="/ filter: words, field:value or field>number, e.g. optimizer:sgd test>97 lr:0.05",
                        id="history-filter")
            yield Static("", id="history-status")

    def on_mount(self) -> None:
        self._add_columns()
        self.table.fixed_columns = 2
        self.refresh_runs()
        self.start_polling()

    def _add_columns(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="mark", width=1)
        for column in self._columns():
            table.add_column(self._header(column), key=column.key)

    def _columns(self) -> list[Column]:
        """Every column, or at 80 columns those that fit: test accuracy and status before the date."""
        return [c for c in COLUMNS if not (self._narrow and c.key in NARROW_HIDDEN)]

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW_WIDTH
        if narrow != self._narrow:
            self._narrow = narrow
            self.table.clear(columns=True)
            self._drawn.clear()
            self._add_columns()
            self._redraw()

    def on_show(self) -> None:
        """Coming into view (its tab chosen, a screen above closed): keys go to the table."""
        if self.app.focused is None or self not in self.app.focused.ancestors_with_self:
            self.table.focus()
        self._check_store()  # catch up with what changed while hidden

    # ------------------------------------------------------------------ data
    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    @property
    def page_size(self) -> int:
        """How many more rows of the order the table draws at a time (see PAGE_MIN)."""
        return max(PAGE_MIN, self.table.size.height + 10)

    def _read_store(self) -> None:
        self.refresh_runs()

    @work(thread=True, exclusive=True, group="history-load")
    def refresh_runs(self) -> None:
        """Off the UI thread: read the whole store once, newest runs first and a chunk at a time
        (rows show after the first chunk), then only the runs changed since (`changes_since`),
        so an epoch committed costs one run's read whatever the size of the store."""
        try:
            version = self.store.data_version()
            seq = self._seq
            if seq is None:
                seq = self.store.change_seq()
                before = None
                with collector_held():  # every run's summary is built here: see tui.collector
                    while True:
                        page = self.store.runs_page(CHUNK, before_id=before)
                        if not page or get_current_worker().is_cancelled:
                            break
                        self.app.call_from_thread(self._apply, [summarize(r) for r in page], [], None, None, True)
                        before = page[-1].id
            while not get_current_worker().is_cancelled:
                changes = self.store.changes_since(seq, limit=CHUNK)
                seq = changes.seq
                self.app.call_from_thread(self._apply, [summarize(r) for r in changes.runs], changes.deleted,
                                          seq, None if changes.more else version, changes.more)
                if not changes.more:
                    break
        except StoreError as error:
            self.app.call_from_thread(self._set_status, str(error))

    def _apply(self, summaries: list[RunSummary], deleted: list[int], seq: int | None, version: int | None,
               loading: bool) -> None:
        self.index.apply(summaries, deleted)
        if self._pending is not None:
            self._pending[0].update(s.id for s in summaries)
            self._pending[1].update(deleted)
        if seq is not None:
            self._seq = seq
        if version is not None:
            self._version = version
        self._loading = loading
        self.marked.difference_update(deleted)
        self._redraw()

    def _reorder(self) -> None:
        """A new sort column, direction or filter: a new order over every run — on the screen's
        thread for a small store (instant), in a worker for a large one (keys never wait)."""
        query = self.query_one("#history-filter", Input).value
        if len(self.index.summaries) <= SYNC_LIMIT:
            self.index = HistoryIndex.of(dict(self.index.summaries), self.sort_column, self.sort_reverse, query)
            self._shown, self._pending = self.page_size, None  # an order still being built for a larger store is dropped
            self._redraw()
            return
        self._pending = (set(), set())
        summaries, column, reverse = dict(self.index.summaries), self.sort_column, self.sort_reverse
        # run_worker with a description: @work would describe the call by the repr of its
        # arguments, which for 100,000 summaries took the screen's thread most of a second.
        self.run_worker(lambda: self._rebuild(summaries, column, reverse, query), thread=True, exclusive=True,
                        group="history-order", description=f"ordering {len(summaries)} runs")
        self._set_status(f"ordering {len(self.index.summaries):,} runs…")
        self._redraw_headers()

    def _rebuild(self, summaries: dict[int, RunSummary], column: str, reverse: bool, query: str) -> None:
        """In a worker thread: the new order, handed to the screen's thread unless a newer one was asked for."""
        worker = get_current_worker()
        with collector_held():  # a key for every run: see tui.collector
            index = HistoryIndex.of(summaries, column, reverse, query, stop=lambda: worker.is_cancelled)
            if index is not None and not worker.is_cancelled:
                self.app.call_from_thread(self._install, index)

    def _install(self, index: HistoryIndex) -> None:
        wanted = (self.sort_column, self.sort_reverse, self.query_one("#history-filter", Input).value)
        if (index.column, index.reverse, index.query) != wanted or self._pending is None:
            return  # a newer order is being built
        changed, deleted = self._pending
        index.apply([self.index.summaries[i] for i in changed if i in self.index.summaries], deleted)
        retired, self.index, self._pending, self._shown = self.index, index, None, self.page_size
        self.run_worker(retired.release, thread=True, group="history-release", description="freeing the old order")
        self._redraw()

    def _cells(self, summary: RunSummary) -> list[Text]:
        cells = [Text(MARK, style="bold yellow") if summary.id in self.marked else Text("")]
        for column in self._columns():
            value = column.show(summary)
            style = STATUS_STYLE.get(value, "") if column.key == "status" else ""
            cells.append(safe_text(value, style, justify="right" if column.key in NUMERIC else "left"))
        return cells

    def _redraw(self) -> None:
        """Bring the table in line with the window of the order it shows, touching only what changed.

        Rebuilding every row costs a measurement per cell: with hundreds of runs that would stall
        the screen at every epoch any run commits; the table holds a window of the order (a page
        more each time the cursor reaches its end), never the whole store.
        """
        table = self.table
        current = self.current_run_id()
        wanted = self.index.window(0, self._shown)
        keys = [str(s.id) for s in wanted]
        stale = set(k.value for k in table.rows) - set(keys)
        if len(stale) > REMOVE_LIMIT:  # a new order: removing a row costs a pass over the others
            table.clear()
            self._drawn.clear()
        for key in stale if table.row_count else ():
            table.remove_row(key)
            del self._drawn[key]
        for summary, key in zip(wanted, keys):
            state = (summary, summary.id in self.marked)
            if self._drawn.get(key) == state:
                continue
            cells = self._cells(summary)
            if key not in table.rows:
                table.add_row(*cells, key=key)
            else:
                table.set_cells(key, dict(zip(("mark", *(c.key for c in self._columns())), cells)))
            self._drawn[key] = state
        relabel = self._redraw_headers()
        if relabel or [row.key.value for row in table.ordered_rows] != keys:
            # Sorting also invalidates the table's render caches, which a new header label needs.
            position = {key: i for i, key in enumerate(keys)}
            table.sort("id", key=lambda cell: position[cell.plain])
        if current is not None and str(current) in table.rows:
            table.move_cursor(row=table.get_row_index(str(current)), animate=False)
        self._update_status()

    def _redraw_headers(self) -> bool:
        """Put the sort arrow on the sort column; True if a label changed."""
        table = self.table
        headers = {column.key: self._header(column) for column in self._columns()}
        relabel = any(table.columns[key].label != label for key, label in headers.items())
        for key, label in headers.items():
            table.columns[key].label = label
        return relabel

    def _header(self, column: Column) -> Text:
        """The column label, with room kept for the sort arrow so the column never needs widening."""
        arrow = ("▼" if self.sort_reverse else "▲") if column.key == self.sort_column else " "
        return Text(f"{column.label} {arrow}")

    def _update_status(self) -> None:
        if not self.index.summaries:
            self._set_status("No runs yet: train one in the Train tab, or with `mnist-tui train` "
                             "(it appears here within a second).")
            return
        if self._pending is not None:
            return  # "ordering …" stays until the new order is in
        label = next(c.label for c in COLUMNS if c.key == self.sort_column)
        marked = f"{len(self.marked)} marked" + (
            f" ({', '.join(map(str, sorted(self.marked)[:6]))}{'…' if len(self.marked) > 6 else ''}; U clears)"
            if self.marked else "")
        parts = [f"{len(self.index)} of {len(self.index.summaries)} runs", marked,
                 f"sorted by {label} {'▼' if self.sort_reverse else '▲'}"]
        if self.table.row_count < len(self.index):
            parts.append(f"first {self.table.row_count} drawn (more at the end)")
        if self._loading:
            parts.append("reading the store…")
        drawn = [self.index.summaries[int(k)] for k in list(self._drawn)[:SAMPLE]]
        unknown = unknown_fields(self.query_one("#history-filter", Input).value, drawn)
        if unknown:
            parts.append(f"unknown field: {', '.join(unknown)} (fields: {FIELD_HELP})")
        self._set_status(" · ".join(parts))

    def _set_status(self, text: str) -> None:
        """Only when the text changes, and without a new layout: the line is one row high and as
        wide as the pane whatever it says, and laying the whole screen out again took tens of ms
        of every key that changes it (a sort, a filter, a mark)."""
        if text != self._status_text:
            self._status_text = text
            self.query_one("#history-status", Static).update(safe_text(text), layout=False)

    def current_run_id(self) -> int | None:
        """The id of the run under the cursor, if any."""
        table = self.table
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value)

    # ------------------------------------------------------------- events
    def on_input_changed(self, event: Input.Changed) -> None:
        self._reorder()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value
        if key not in COLUMN_KEYS:
            return
        if key == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = key, False
        self._reorder()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor reached the last row drawn: draw the next page of the order. (The table as it
        is now decides, not the event: a redraw that shrank the table may have posted it.)"""
        table = self.table
        if table.row_count and table.cursor_row >= table.row_count - 1 and len(self.index) > self._shown:
            self._shown += self.page_size
            self._redraw()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_confusion()

    # ------------------------------------------------------------- actions
    def action_focus_filter(self) -> None:
        self.query_one("#history-filter", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_sort_menu(self) -> None:
        from tui.widgets.sort_menu import SortMenu

        def chosen(choice: tuple[str, bool] | None) -> None:
            if choice is not None:
                self.sort_column, self.sort_reverse = choice
                self._reorder()

        columns = [(c.key, c.label) for c in COLUMNS]
        self.app.push_screen(SortMenu(columns, self.sort_column, self.sort_reverse,
                                      descending_first=("best", "last", "test", "time", "date", "id")), chosen)

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._reorder()

    def action_toggle_mark(self) -> None:
        """Mark this run and step to the next row (the row below, in the order shown, whatever the redraw does)."""
        run_id = self.current_run_id()
        if run_id is None:
            return
        row = self.table.cursor_row
        self.marked ^= {run_id}
        self._redraw()
        self.table.move_cursor(row=min(row + 1, self.table.row_count - 1), animate=False)

    def action_clear_marks(self) -> None:
        if self.marked:
            self.marked = set()
            self._redraw()

    def action_compare(self) -> None:
        ids = sorted(self.marked)
        if len(ids) < 2:
            self.notify("Mark two or more runs with space, then press c.", severity="warning")
            return
        from tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.store, ids))

    def action_show_confusion(self) -> None:
        run_id = self.current_run_id()
        if run_id is not None:
            self.post_message(self.ShowConfusion(run_id))

    def action_continue_run(self) -> None:
        run_id = self.current_run_id()
        if run_id is not None:
            self.post_message(self.ContinueRun(run_id))

    def action_load_options(self) -> None:
        run_id = self.current_run_id()
        if run_id is None:
            return
        try:
            run = self.store.get_run(run_id)
        except StoreError as error:
            self.notify(plain(error, multiline=True), title="Options not loaded", severity="error", markup=False)
            return
        if run.problems:
            self.notify(plain(f"Run {run_id} is damaged: " + "; ".join(run.problems), multiline=True),
                        title="Options not loaded", severity="error", markup=False)
            return
        self.post_message(self.LoadOptions(run.config, run_id))

    def action_delete(self) -> None:
        run_id = self.current_run_id()
        if run_id is None:
            return
        summary = self.index.summaries[run_id]
        body = (f"Run {run_id}: {summary.architecture}, {summary.options}, {summary.status}, "
                f"test accuracy {_pct(summary.test_acc) or '—'}.\nIts epochs and its model file are "
                "deleted; this cannot be undone.")

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete_run(run_id)
            except StoreError as error:
                self.notify(plain(error, multiline=True), title="Not deleted", severity="error", markup=False)
                return
            self.marked.discard(run_id)
            self.notify(f"Run {run_id} deleted.")
            self.refresh_runs()

        self.app.push_screen(ConfirmDialog(f"Delete run {run_id}?", body, yes="Delete", no="Keep"), answer)

    def action_export(self) -> None:
        run_id = self.current_run_id()
        if run_id is None:
            self.notify("No run to export.", severity="warning")
            return
        default = _free_name(Path.cwd(), f"mnist-tui-run-{run_id}")

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(run_id, path)

        self.app.push_screen(
            ExportDialog(f"Export run {run_id}: its epochs as .csv, or the whole run as .json", default), chosen
        )

    def _export(self, run_id: int, path: Path) -> None:
        try:
            text = export_text(self.store.usable_run(run_id), path.suffix.lower().lstrip("."))
            write_output(path, text)
        except (StoreError, OSError, ValueError) as error:
            self.notify(plain(error, multiline=True), title="Export failed", severity="error", markup=False)
            return
        self.notify(plain(f"Exported run {run_id} to {path}."), markup=False)

    def action_report(self) -> None:
        ids = sorted(self.marked) or ([] if self.current_run_id() is None else [self.current_run_id()])
        if not ids:
            self.notify("No run to report.", severity="warning")
            return
        self.notify(f"Writing the report of run{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}…")
        self._write_report(ids)

    @work(thread=True, exclusive=True, group="history-report")
    def _write_report(self, ids: list[int]) -> None:
        """The same page as `mnist-tui runs report`, into a new file in the current folder (never over one)."""
        from runs.output_file import write_output
        from runs.report.runs_report import runs_report

        label = "-".join(map(str, ids)) if len(ids) <= 6 else f"{len(ids)}-runs"  # a file name has a length limit
        path = _free_name(Path.cwd(), f"mnist-tui-report-{label}", ".html")
        try:
            page = runs_report([self.store.usable_run(i) for i in ids], self.store.models_dir)
            write_output(path, page)
        except (StoreError, OSError) as error:
            self.app.call_from_thread(self.notify, str(error), title="Report failed", severity="error")
            return
        self.app.call_from_thread(self.notify, f"Wrote the report to {path}.", timeout=8)
        if self.app.is_web:  # served to a browser: the file is on the server, so open a copy in a new tab
            self.app.call_from_thread(self.app.deliver_text, path, save_filename=path.name, open_method="browser",
                                      mime_type="text/html")


def _free_name(folder: Path, stem: str, suffix: str = ".csv") -> Path:
    """`folder/stem.csv` (or another suffix), with -2, -3... appended so no existing file is overwritten."""
    candidate, n = folder / f"{stem}{suffix}", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate
