"""The Studies tab: every study in the store, the selected one live, and the study the dashboard runs.

Like the History pane it polls the store while shown (tui.widgets.store_poll) and re-reads
off the UI thread, so a study run by `mnist-tui study run` in another terminal fills in here too.
A study started here (n) runs in a child process that drives the local process pool, followed
by a thread worker (tui.study_job); its events only make the view re-read sooner.
"""

from __future__ import annotations

import os
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from runs.config import RunConfig
from runs.store import RunStore, StoreError
from runs.study_runner import StudyProgress
from runs.study_spec import StudySpec, Trial
from runs.study_store import StudyRecord, StudyRuns, list_studies
from runs.study_results import summarize
from tui.dialogs.study_dialog import StudyDialog
from tui.messages import StudyBegan, StudyEnded, StudyProgressed
from tui.safe_text import plain, safe_text
from tui.study_job import StudyJob
from tui.study_summary import Progress, StudyLine, progress, study_line, trial_rows
from tui.widgets.history_pane import STATUS_STYLE
from tui.widgets.store_poll import StorePoll
from tui.widgets.study_results import pct
from tui.widgets.study_view import StudyDetail, StudyView

EVENT_REFRESH_SECONDS = 0.5
"""While this app runs a study, its events re-read the store at most this often (besides the poll)."""
RESUMABLE = ("cancelled", "interrupted", "failed")


class StudiesPane(StorePoll, Vertical):
    """The list of studies above the live view of the highlighted one."""

    LOAD_GROUP = "studies-load"

    DEFAULT_CSS = """
    StudiesPane { height: 1fr; }
    StudiesPane > #studies-table { height: auto; max-height: 5; scrollbar-size-horizontal: 0; }
    StudiesPane.-wide > #studies-table { max-height: 9; }
    StudiesPane > #studies-status { height: 1; color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [
        Binding("n", "new_study", "New", tooltip="Design a new study from the Train options (comma lists vary an option)"),
        Binding("x", "cancel_study", "Cancel study", tooltip="Stop the study run here: running trials stop after their batch"),
        Binding("r", "resume_study", "Resume", tooltip="Run the trials of this study that did not finish"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("c", "compare", "Compare", tooltip="Compare the marked trials' runs side by side"),
        Binding("v", "next_section", "View", tooltip="Show the next section: trials, leaderboard, plot"),
        Binding("escape", "focus_list", "Studies", show=False),
    ]

    def __init__(self, store: RunStore, *, data_dir: str | None = None, workers: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.data_dir = data_dir
        self.study_workers = workers or os.cpu_count() or 1
        """Trials run at once by a study started here (one per core by default)."""
        self.job: StudyJob | None = None
        """The study this app runs, if any (one at a time: two would share the same cores)."""
        self.lines: list[StudyLine] = []
        self.selected: int | None = None
        """Id of the study shown below the list."""
        self.last_outcome: StudyEnded | None = None
        self._version: int | None = None
        self._trials: dict[tuple[int, str], list[Trial]] = {}
        """Each study's trials by (id, spec fingerprint): expanding a spec once is enough."""
        self._lines: dict[int, tuple[tuple, StudyLine]] = {}
        self._study_runs = StudyRuns()
        """Each study's runs as last read; a poll reads only those changed since (the read worker owns it)."""
        self._live: StudyProgress | None = None
        self._last_event_refresh = 0.0
        self._stale = False

    def compose(self) -> ComposeResult:
        yield DataTable(id="studies-table", cursor_type="row", zebra_stripes=True)
        yield StudyView(id="study-view")
        yield Static("", id="studies-status")

    def on_mount(self) -> None:
        table = self.list_table
        for key, label in (("id", "id"), ("status", "status"), ("trials", "trials"), ("winner", "winner (val)"),
                           ("name", "name"), ("compares", "compares")):
            table.add_column(label, key=key)
        self.set_class(self.app.size.height >= 40, "-wide")
        self.view.show(None)
        self.refresh_studies()
        self.start_polling()

    def on_resize(self) -> None:
        wide = self.app.size.height >= 40
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self.app.refresh_bindings()  # `v` (next section) is offered only below 40 rows

    def on_show(self) -> None:
        if self.app.focused is None or self not in self.app.focused.ancestors_with_self:
            self.list_table.focus()
        self._check_store()

    @property
    def list_table(self) -> DataTable:
        return self.query_one("#studies-table", DataTable)

    @property
    def view(self) -> StudyView:
        return self.query_one(StudyView)

    @property
    def running(self) -> bool:
        return self.job is not None

    # ------------------------------------------------------------------ data
    def _read_store(self) -> None:
        self.refresh_studies()

    def _read_under_way(self) -> None:
        self._stale = True  # read again once this read is done

    @work(thread=True, exclusive=True, group="studies-load")
    def refresh_studies(self) -> None:
        """Read every study (and the selected one's trials) off the UI thread, then redraw."""
        selected = self.selected
        try:
            version = self.store.data_version()
            studies = list_studies(self.store)
            lines, detail = [], None
            for study in studies:
                try:
                    line, found = self._read_study(study, full=study.id == selected)
                except StoreError as error:  # a spec this version cannot use: say so, show the others
                    line, found = StudyLine(study.id, study.name, str(error), study.status, 0, study.trials, None), None
                lines.append(line)
                detail = found or detail
        except (StoreError, ValueError) as error:  # ValueError: a studies row whose spec is not even JSON
            self.app.call_from_thread(self._set_status, f"The studies cannot be read: {error}")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._apply, version, lines, detail)

    def _read_study(self, study: StudyRecord, full: bool) -> tuple[StudyLine, StudyDetail | None]:
        """A study's list line (cached while it is not running) and, if `full`, its whole detail."""
        state = (study.status, study.ended_at, study.message, study.name)
        cached = self._lines.get(study.id)
        if not full and study.status != "running" and cached is not None and cached[0] == state:
            return cached[1], None
        spec = study.study_spec  # checked again: stored text is untrusted (StoreError if unusable)
        trials = self._trials.get((study.id, study.fingerprint))
        if trials is None:
            trials = self._trials[study.id, study.fingerprint] = study.expand_trials()
        runs = self._study_runs.read(self.store, study.id)
        results = summarize(study, runs, trials)
        line = study_line(study, spec, results)
        self._lines[study.id] = (state, line)
        if not full:
            return line, None
        rows = trial_rows(trials, runs)
        counts = progress(rows, trials, active=study.status == "running")
        live = self._live
        if live is not None and self.job is not None and self.job.study_id == study.id:
            counts = Progress(counts.total, counts.done, counts.running, counts.queued, live.eta_seconds)
        return line, StudyDetail(study, spec, rows, results, counts)

    def _apply(self, version: int, lines: list[StudyLine], detail: StudyDetail | None) -> None:
        if self._version is not None and version < self._version:
            return
        self._version = version
        self.lines = lines
        self._fill_list()
        if self.selected is None and lines:
            self._select(lines[-1].id)  # the newest study
            return
        if detail is not None and detail.study.id == self.selected:
            self.view.show(detail)
        elif self.selected is not None and all(line.id != self.selected for line in lines):
            self.selected = None
            self.view.show(None)
        self._update_status()

    def _fill_list(self) -> None:
        table = self.list_table
        keys = [str(line.id) for line in reversed(self.lines)]  # newest first
        for key in [k.value for k in table.rows if k.value not in keys]:
            table.remove_row(key)
        for line in reversed(self.lines):
            cells = self._cells(line)
            key = str(line.id)
            if key not in table.rows:
                table.add_row(*cells, key=key)
            else:
                for column, cell in zip(("id", "status", "trials", "winner", "name", "compares"), cells):
                    if table.get_cell(key, column) != cell:
                        table.update_cell(key, column, cell, update_width=True)
        if [r.key.value for r in table.ordered_rows] != keys:
            position = {key: i for i, key in enumerate(keys)}
            table.sort("id", key=lambda cell: position[cell.plain])
        if self.selected is not None and str(self.selected) in table.rows:
            row = table.get_row_index(str(self.selected))
            if table.cursor_row != row:
                table.move_cursor(row=row, animate=False)

    @staticmethod
    def _cells(line: StudyLine) -> list[Text]:
        winner = Text(pct(line.winner_val), justify="right") if line.winner_val is not None else Text("—", style="dim")
        return [
            Text(str(line.id), justify="right"),
            safe_text(line.status, STATUS_STYLE.get(line.status, "")),
            Text(f"{line.done}/{line.total}", justify="right"),
            winner,
            safe_text(line.name) if line.name else Text("—", style="dim"),
            safe_text(line.compares),
        ]

    def _select(self, study_id: int) -> None:
        if study_id == self.selected:
            return
        self.selected = study_id
        self._version = None  # read the newly selected study's detail now
        self._check_store()

    def _update_status(self) -> None:
        if not self.lines:
            self._set_status("No studies yet: press n to design one from the Train options, "
                             "or run `mnist-tui study run` (it appears here within a second).")
            return
        parts = [f"{len(self.lines)} stud{'ies' if len(self.lines) != 1 else 'y'}",
                 f"{len(self.view.marked)} trial(s) marked"]
        if self.job is not None:
            parts.append(f"running study {self.job.study_id or '…'} here on {self.study_workers} worker(s)")
        self._set_status(" · ".join(parts))

    def _set_status(self, text: str) -> None:
        self.query_one("#studies-status", Static).update(safe_text(text))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "studies-table" and event.row_key is not None:
            event.stop()
            self._select(int(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "studies-table":
            event.stop()
            if not self.view.table.display:  # a short screen showing another section: back to the trials
                self.view.show_section("trials")
            self.view.table.focus()

    # ------------------------------------------------------------- running
    def start(self, spec: StudySpec | None = None, study_id: int | None = None) -> None:
        """Run a new study (`spec`) or resume one (`study_id`) in a worker thread."""
        if self.job is not None:
            self.notify(f"Study {self.job.study_id} is running here; cancel it (x) or let it finish first.",
                        severity="warning")
            return
        job = StudyJob(self.store, spec=spec, study_id=study_id, workers=self.study_workers)
        self.job = job
        self._live = None
        self.app.refresh_bindings()

        def execute() -> None:
            try:
                outcome = job.execute(lambda sid: self.post_message(StudyBegan(sid)),
                                      lambda event: self.post_message(StudyProgressed(event)))
            except Exception as error:  # noqa: BLE001 - shown to the user, the app keeps going
                self.post_message(StudyEnded(job.study_id, "failed", f"{type(error).__name__}: {error}"))
                return
            self.post_message(StudyEnded(outcome.study_id, outcome.status, outcome.message))

        self.run_worker(execute, thread=True, group="study", name="study", exit_on_error=False)

    def on_study_began(self, message: StudyBegan) -> None:
        self.notify(f"Study {message.study_id} started: its trials fill in below as their epochs end.")
        self.selected = None
        self._select(message.study_id)

    def on_study_progressed(self, message: StudyProgressed) -> None:
        self._live = message.event.progress
        now = time.monotonic()
        if now - self._last_event_refresh >= EVENT_REFRESH_SECONDS and self.is_on_screen:
            self._last_event_refresh = now
            self._check_store()

    def on_study_ended(self, message: StudyEnded) -> None:
        self.job = None
        self._live = None
        self.last_outcome = message
        self.app.refresh_bindings()
        severity = "information" if message.status == "completed" else "warning"
        text = f"Study {message.study_id} {message.status}" + (f": {message.message}" if message.message else ".")
        self.notify(plain(text, multiline=True), severity="error" if message.status == "failed" else severity,
                    timeout=8, markup=False)
        self._version = None
        self._check_store()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "studies-load" and event.state == WorkerState.SUCCESS and self._stale:
            self._stale = False  # something asked for a read while this one ran
            self._check_store()
        if event.worker.group == "study" and event.state == WorkerState.ERROR and self.job is not None:
            self.post_message(StudyEnded(self.job.study_id, "failed", str(event.worker.error)))

    # ------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_study":
            return True if self.job is not None else None
        if action == "next_section":
            return not self.view.wide
        return True

    def action_new_study(self) -> None:
        config = getattr(self.app, "train_pane", None)
        base = config.options.config if config is not None else None
        if base is None:
            base = RunConfig()
            self.notify("The Train options are not valid: the study starts from the defaults.", severity="warning")

        def chosen(spec: StudySpec | None) -> None:
            if spec is not None:
                self.start(spec=spec)

        self.app.push_screen(StudyDialog(base, workers=self.study_workers), chosen)

    def action_cancel_study(self) -> None:
        if self.job is None:
            line = next((l for l in self.lines if l.id == self.selected), None)
            if line is not None and line.status == "running":
                self.notify(f"Study {line.id} is run by another process: stop it there (Ctrl-C).", severity="warning")
            return
        if self.job.cancelled:
            return
        self.job.cancel()
        self.notify("Cancelling: running trials stop after their batch and are kept as cancelled; r resumes.")

    def action_resume_study(self) -> None:
        line = next((l for l in self.lines if l.id == self.selected), None)
        if line is None:
            return
        if line.status == "running":
            self.notify(f"Study {line.id} is running.", severity="warning")
        elif line.status == "completed" and line.done == line.total:
            self.notify(f"Study {line.id} is complete: nothing to resume.")
        else:
            self.start(study_id=line.id)

    def action_toggle_mark(self) -> None:
        if self.app.focused is not self.view.table:
            self.notify("Mark trials in the trials table (Enter on a study goes there).", severity="warning")
            return
        if self.view.toggle_mark() is None:
            self.notify("Only trials that started have a run to compare.", severity="warning")
        self._update_status()

    def action_compare(self) -> None:
        ids = self.view.marked_run_ids()
        if len(ids) < 2:
            self.notify("Mark two or more trials with space, then press c.", severity="warning")
            return
        from tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.store, ids))

    def action_next_section(self) -> None:
        section = self.view.next_section()
        targets = {"trials": self.view.table, "results": self.view.query_one("#leaderboard")}
        targets.get(section, self.list_table).focus()

    def action_focus_list(self) -> None:
        self.list_table.focus()
