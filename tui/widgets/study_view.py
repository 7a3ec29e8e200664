"""One study, live: a progress bar over its trials, the trials table, results and the parallel-coordinates plot.

`show(detail)` redraws from a StudyDetail (read off the UI thread by the Studies pane); the trials
table changes only the rows whose trial changed, so a study of hundreds of trials stays cheap to
follow epoch by epoch. Below 40 rows one section shows at a time (`v` switches); from 40 rows all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from runs.study_results import StudyResults
from runs.study_spec import StudySpec, value_text
from runs.study_store import StudyRecord
from tui.safe_text import assemble, safe_text
from tui.study_summary import Progress, TrialRow, plot_data, varied_text
from tui.widgets.history_pane import MARK, STATUS_STYLE
from tui.widgets.parallel_coords import ParallelCoords
from tui.widgets.study_results import StudyResultsView, pct

SECTIONS = ("trials", "results", "plot")
SECTION_TITLES = {"trials": "Trials", "results": "Leaderboard & effects", "plot": "Parallel coordinates"}
WIDE_HEIGHT = 40
"""From this many rows of screen, every section shows at once."""


@dataclass(frozen=True)
class StudyDetail:
    """Everything the view shows of one study, read in one go."""

    study: StudyRecord
    spec: StudySpec
    rows: list[TrialRow]
    results: StudyResults
    progress: Progress


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class TrialsBar(Widget):
    """A bar over all trials: done (green), running (cyan), queued (dim), then the counts and time left."""

    DEFAULT_CSS = "TrialsBar { height: 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.progress: Progress | None = None

    def show(self, progress: Progress | None) -> None:
        if progress != self.progress:
            self.progress = progress
            self.refresh()

    def label(self) -> Text:
        p = self.progress
        if p is None:
            return Text("")
        text = Text(f" {p.done}/{p.total} done")
        text.append(f" · {p.running} running", style="bold cyan" if p.running else "")
        text.append(f" · {p.queued} queued")
        if p.eta_seconds is not None:
            text.append(f" · about {duration(p.eta_seconds)} left")
        return text

    def render(self) -> Text:
        p = self.progress
        label = self.label()
        if p is None or p.total == 0:
            return label
        width = max(10, self.size.width - label.cell_len)
        done = round(width * p.done / p.total)
        running = min(width - done, round(width * p.running / p.total) or (1 if p.running else 0))
        bar = Text()
        bar.append("█" * done, style="green")
        bar.append("█" * running, style="cyan")
        bar.append("░" * (width - done - running), style="dim")
        return bar.append_text(label)


def trial_cells(row: TrialRow, flags: list[str], marked: bool) -> list[Text]:
    status = row.status
    cells = [Text(MARK, style="bold yellow") if marked else Text(""),
             Text("" if row.run_id is None else str(row.run_id), justify="right")]
    cells += [safe_text(value_text(row.params[f])) if f in row.params else Text("·") for f in flags]
    cells += [
        Text(str(row.seed), justify="right"),
        Text(f"{row.epoch}/{row.epochs}", justify="right"),
        Text(pct(row.val) if row.val is not None else "", justify="right"),
        safe_text(status, STATUS_STYLE.get(status, "dim")),
    ]
    return cells


class StudyView(Vertical):
    """The live view of the study `show` was last given (nothing before)."""

    DEFAULT_CSS = """
    StudyView { height: 1fr; }
    StudyView #study-title { height: 1; padding: 0 1; }
    StudyView #study-sections { height: 1; padding: 0 1; color: $text-muted; }
    StudyView #study-body { height: 1fr; }
    StudyView #trials-table { width: 1fr; height: 1fr; }
    StudyView.-wide #trials-table { width: auto; max-width: 50%; }
    StudyView StudyResultsView { width: 1fr; }
    StudyView ParallelCoords { height: 1fr; border-top: solid $primary 30%; }
    StudyView.-wide #study-sections { display: none; }
    StudyView.-wide #study-body { height: 3fr; }
    StudyView.-wide ParallelCoords { height: 2fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detail: StudyDetail | None = None
        self.flags: list[str] = []
        self.marked: set[str] = set()
        """Trial keys marked with space (trials that have a run)."""
        self.section = "trials"
        """The section shown when the screen is too short for all three."""
        self._drawn: dict[str, tuple[TrialRow, bool]] = {}
        self._study_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="study-title")
        yield TrialsBar(id="study-bar")
        yield Static("", id="study-sections")
        with Horizontal(id="study-body"):
            yield DataTable(id="trials-table", cursor_type="row", zebra_stripes=True)
            yield StudyResultsView(id="study-results")
        yield ParallelCoords(id="study-plot")

    def on_mount(self) -> None:
        self._layout()

    def on_resize(self) -> None:
        self._layout()

    @property
    def wide(self) -> bool:
        return self.app.size.height >= WIDE_HEIGHT

    @property
    def table(self) -> DataTable:
        return self.query_one("#trials-table", DataTable)

    def _layout(self) -> None:
        wide = self.wide
        self.set_class(wide, "-wide")
        self.table.display = wide or self.section == "trials"
        self.query_one(StudyResultsView).display = wide or self.section == "results"
        self.query_one("#study-body").display = wide or self.section in ("trials", "results")
        self.query_one(ParallelCoords).display = wide or self.section == "plot"
        line = Text("v: ")
        for name in SECTIONS:
            line.append(f" {SECTION_TITLES[name]} ", style="reverse bold" if name == self.section else "")
        self.query_one("#study-sections", Static).update(line)

    def show_section(self, section: str) -> None:
        self.section = section
        self._layout()

    def next_section(self) -> str:
        self.show_section(SECTIONS[(SECTIONS.index(self.section) + 1) % len(SECTIONS)])
        return self.section

    def current_trial(self) -> TrialRow | None:
        table = self.table
        if self.detail is None or table.row_count == 0:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next((r for r in self.detail.rows if r.key == key.value), None)

    def show(self, detail: StudyDetail | None) -> None:
        if detail is None:
            self.detail = None
            self._study_id = None
            self.query_one("#study-title", Static).update(Text("No study selected.", style="dim"))
            self.query_one(TrialsBar).show(None)
            self.table.clear(columns=True)
            self._drawn.clear()
            self.query_one(StudyResultsView).show(None, [])
            self.query_one(ParallelCoords).show([], [], "Start a study with n.")
            return
        if detail.study.id != self._study_id:
            self._study_id = detail.study.id
            self.marked.clear()
            self._drawn.clear()
            self.flags = [*detail.spec.vary, *detail.spec.ranges]
            table = self.table
            table.clear(columns=True)
            table.add_column(" ", key="mark", width=1)
            table.add_column("run", key="run")
            for flag in self.flags:
                table.add_column(flag, key=f"p:{flag}")
            for key, label in (("seed", "seed"), ("epoch", "epoch"), ("val", "val acc"), ("status", "status")):
                table.add_column(label, key=key)
            table.fixed_columns = 2
        self.detail = detail
        self._title(detail)
        self.query_one(TrialsBar).show(detail.progress)
        self._fill_trials(detail.rows)
        self.query_one(StudyResultsView).show(detail.results, self.flags)
        self.draw_plot()

    def _title(self, detail: StudyDetail) -> None:
        study = detail.study
        title = Text(f"Study {study.id} ", style="bold")
        title.append_text(safe_text(study.status, STATUS_STYLE.get(study.status, "")))
        if study.name:
            title.append(" · ").append_text(safe_text(study.name, "bold"))
        title.append(" · ").append_text(safe_text(varied_text(detail.spec)))
        if study.message:
            title.append_text(assemble(" · ", (study.message, "dim")))
        self.query_one("#study-title", Static).update(title)

    def _fill_trials(self, rows: list[TrialRow]) -> None:
        table = self.table
        keys = {r.key for r in rows}
        for key in [k.value for k in table.rows if k.value not in keys]:
            table.remove_row(key)
            self._drawn.pop(key, None)
        self.marked &= {r.key for r in rows if r.run_id is not None}
        columns = ["mark", "run", *(f"p:{f}" for f in self.flags), "seed", "epoch", "val", "status"]
        for row in rows:
            state = (row, row.key in self.marked)
            if self._drawn.get(row.key) == state:
                continue
            cells = trial_cells(row, self.flags, row.key in self.marked)
            if row.key not in table.rows:
                table.add_row(*cells, key=row.key)
            else:
                for column, cell in zip(columns, cells):
                    if table.get_cell(row.key, column) != cell:
                        table.update_cell(row.key, column, cell, update_width=True)
            self._drawn[row.key] = state

    def draw_plot(self) -> None:
        detail = self.detail
        if detail is None:
            return
        current = self.current_trial()
        axes, lines = plot_data(detail.spec, detail.rows, current.key if current is not None else None)
        note = "" if lines else "Lines appear as trials start (grey until they finish)."
        self.query_one(ParallelCoords).show(axes, lines, note)

    def toggle_mark(self) -> TrialRow | None:
        """Mark or unmark the trial under the cursor (only trials with a run); returns it."""
        row = self.current_trial()
        if row is None or row.run_id is None:
            return None
        self.marked ^= {row.key}
        self._fill_trials(self.detail.rows if self.detail else [])
        self.table.action_cursor_down()
        return row

    def marked_run_ids(self) -> list[int]:
        rows = self.detail.rows if self.detail else []
        return sorted(r.run_id for r in rows if r.key in self.marked and r.run_id is not None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "trials-table":
            self.draw_plot()  # the trial under the cursor is drawn on top, in white
