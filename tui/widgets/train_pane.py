"""The Train tab: options on the left; the run, its epochs and its curves on the right.

It owns the current run: starts it in a thread worker (which drives a ProcessRun or ThreadRun),
turns the run's events into messages, and shows them. Nothing else touches the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button
from textual.worker import Worker, WorkerState

from data.errors import DataError
from data.registry import get_spec
from data.sources import dataset_cache_dir, locate, supply_hint
from runs.config import RunConfig
from runs.events import RunFinished
from runs.store import StoreError
from tui.dialogs.confirm import ConfirmDialog
from tui.messages import BatchProgressed, DataProgressed, EpochCompleted, RunBegan, RunEnded, message_for
from tui.runners import RUNNERS
from tui.safe_text import plain
from tui.settings import save_options
from tui.widgets.curves import Curves
from tui.widgets.metrics_table import MetricsTable
from tui.widgets.options_panel import OptionsPanel
from tui.widgets.run_panel import RunPanel

PROGRESS_INTERVAL_S = 0.25
EPOCHS_INTERVAL_S = 1.0
NARROW_WIDTH = 120
"""Below this many columns the Train tab is laid out for a small terminal (see app.tcss's -narrow)."""


class TrainPane(Widget):
    """Design a network, train it, watch it learn."""

    DEFAULT_CSS = """
    TrainPane { height: 1fr; }
    TrainPane > Horizontal { height: 1fr; }
    TrainPane #train-right { width: 1fr; height: 1fr; }
    """

    def __init__(
        self,
        initial: RunConfig | None = None,
        *,
        data_dir: str | None = None,
        runner: str = "process",
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._initial = initial
        self._data_dir = data_dir
        self._runner = RUNNERS[runner]
        self._clock = clock
        self._run: Any = None
        self._run_id: int | None = None
        self._previous: list[dict[str, Any]] = []
        self._records: list[dict[str, Any]] = []
        self._last_progress = 0.0
        self._epochs_drawn = 0.0
        self._epochs_timer: Timer | None = None
        self._curves_timer: Timer | None = None
        self.last_finished: RunFinished | None = None
        """How the most recent run ended (None before the first)."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionsPanel(self._initial, data_dir=self._data_dir, id="options")
            with Vertical(id="train-right"):
                yield RunPanel(clock=self._clock, id="run-panel")
                yield MetricsTable(id="metrics")
                yield Curves(id="curves")

    @property
    def running(self) -> bool:
        return self._run is not None

    @property
    def options(self) -> OptionsPanel:
        return self.query_one(OptionsPanel)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    def on_resize(self) -> None:
        """Below 120 columns the epochs table keeps the columns that fit beside the options."""
        self.query_one(MetricsTable).set_narrow(self.size.width < NARROW_WIDTH)

    def on_mount(self) -> None:
        # A watcher, not OptionsPanel.Changed: Start turns on or off in the frame that shows the error.
        self.watch(self.options, "config", self._options_changed)

    def _options_changed(self, config: RunConfig | None) -> None:
        self.run_panel.set_startable(config is not None)

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.start()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.cancel()

    @on(Button.Pressed, "#pause")
    def _pause_pressed(self) -> None:
        self.toggle_pause()

    def toggle_pause(self) -> bool:
        """Pause the running run between two batches, or resume it; True if there was one to act on."""
        panel = self.run_panel
        if self._run is None or panel.state not in ("training", "paused"):
            return False
        if panel.state == "paused":
            self._run.resume()
            panel.resumed(self._run_id)
        else:
            self._run.pause()
            panel.paused(self._run_id)
        return True

    def continue_run(self, run_id: int, store: Any) -> None:
        """Continue stored run `run_id` from its checkpoint (History's Continue), shown here like a new run."""
        from runs.service import CannotContinue, plan_continue  # noqa: PLC0415 - reads the model file

        if self.running:
            self.notify("A run is already going; wait for it or cancel it first (F6).", severity="warning")
            return
        try:
            record, config, resume, _ = plan_continue(store, run_id, None)
        except (CannotContinue, StoreError) as error:
            self.notify(plain(str(error), multiline=True), title="Cannot continue", severity="error", markup=False)
            return
        done = resume.epoch if resume is not None else 0
        self.app.action_show_tab("train")
        self._launch(config, continue_id=run_id, previous=record.epochs[:done])

    def start(self) -> None:
        """Start a run with the current options, first offering a download if the data is missing."""
        config = self.options.config
        if self.running:
            self.notify("A run is already going; cancel it first (F6).", severity="warning")
            return
        if config is None:
            self.notify(plain(self.options.error or "Fix the options first."), severity="error", markup=False)
            return
        try:
            locate(get_spec(config.data.dataset), config.data.data_dir)
        except DataError as error:
            if config.data.data_dir is not None:
                self._show_finished(RunFinished(None, "failed", str(error)))
                return
            self._offer_download(config, str(error))
            return
        self._launch(config)

    def _offer_download(self, config: RunConfig, problem: str) -> None:
        spec = get_spec(config.data.dataset)
        looked = problem.split("\n" + supply_hint(spec))[0]  # the places searched; the hint is for "Not now"
        body = (
            f"{looked}\n\nDownload the four {spec.name} files (12 to 30 MB compressed) from "
            f"{spec.mirrors[0]} into {dataset_cache_dir(spec.name)} and start the run?"
        )

        def answered(download: bool | None) -> None:
            if download:
                self._launch(config)
            else:
                self.run_panel.notice(f"No {spec.name} data yet", supply_hint(spec))

        self.app.push_screen(ConfirmDialog(f"{spec.name} is not on this machine", body, "Download", "Not now"), answered)

    def load_options(self, config: RunConfig, run_id: int | None) -> None:
        """Another run's options (History's r): the last run's table and curves go, so nothing shown
        belongs to a run other than the one the options came from, and the panel names it."""
        self.options.load_config(config)
        self._records = []
        self.query_one(MetricsTable).reset()
        self.query_one(Curves).show([])
        self.run_panel.reset()
        self.run_panel.notice(f"Options of run #{run_id} loaded", "Change what you like and press F5 to train.")

    def _launch(self, config: RunConfig, continue_id: int | None = None, previous: list[dict[str, Any]] = ()) -> None:
        if continue_id is None:
            try:
                save_options(config)
            except OSError as error:
                self.notify(plain(f"Could not remember these options: {error}"), severity="warning", markup=False)
        self._records = []
        self._previous = list(previous)
        self._run_id = continue_id
        self.query_one(MetricsTable).reset()
        self.query_one(Curves).show([])
        self.run_panel.begin(config.train.epochs)
        try:
            run = self._runner(config, continue_id)
        except Exception as error:  # noqa: BLE001 - e.g. no process could be created: say so, keep going
            self._show_finished(RunFinished(None, "failed", f"The run could not be started: {type(error).__name__}: {error}"))
            return
        self._run = run
        self.app.refresh_bindings()  # the footer dims Start and lights Cancel
        self.run_worker(lambda: run.execute(self._post_event), thread=True, exclusive=True, group="run", name="training", exit_on_error=False)

    def _post_event(self, event: Any) -> None:
        """Called in the worker thread; post_message is thread-safe."""
        self.post_message(message_for(event))

    def cancel(self) -> bool:
        """Ask the run to stop; True if there was one."""
        if self._run is None:
            return False
        self._run.cancel()
        self.run_panel.cancelling()
        return True

    def on_data_progressed(self, message: DataProgressed) -> None:
        self.run_panel.data_progress(message.event)

    def on_run_began(self, message: RunBegan) -> None:
        self._run_id = message.event.run_id
        # A continued run shows the epochs it had (up to its checkpoint) before the new ones.
        self._records, self._previous = self._previous, []
        if self._records:
            self._draw_epochs_soon()
        self.run_panel.run_started(message.event)

    def on_batch_progressed(self, message: BatchProgressed) -> None:
        """Progress is drawn at most PROGRESS_INTERVAL_S apart: each draw costs the UI a few ms of CPU."""
        now = time.monotonic()
        event = message.event
        due = now - self._last_progress >= PROGRESS_INTERVAL_S or event.batch == event.batches  # an epoch's end always shows
        if self.run_panel.state == "training" and due:
            self._last_progress = now
            self.run_panel.batch_progress(event)

    def on_epoch_completed(self, message: EpochCompleted) -> None:
        record = message.event.record
        self._records.append(record)
        self.run_panel.epoch_done(record["epoch"])
        self._draw_epochs_soon()

    def _draw_epochs_soon(self) -> None:
        """Draw the new epoch rows now, or EPOCHS_INTERVAL_S after the last draw if epochs come faster.

        The table with a new row costs the UI 15-35 ms (it renders every visible cell again) and
        both plots about 30 ms; a full-MNIST epoch can take 0.3 s, and keys wait while the UI
        draws. The curves follow half an interval after the rows, so the two long draws never
        hold up one key together; the end of a run draws what is left at once.
        """
        if self._epochs_timer is not None:
            return
        wait = self._epochs_drawn + EPOCHS_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self._draw_epochs()
        else:
            self._epochs_timer = self.set_timer(wait, self._draw_epochs)

    def _draw_epochs(self) -> None:
        self._epochs_timer = None
        self._epochs_drawn = time.monotonic()
        table = self.query_one(MetricsTable)
        for record in self._records[table.row_count:]:
            table.add_record(record)
        if self._curves_timer is None:
            self._curves_timer = self.set_timer(EPOCHS_INTERVAL_S / 2, self._draw_curves)

    def _draw_curves(self) -> None:
        self._curves_timer = None
        self.query_one(Curves).show(self._records)

    def on_run_ended(self, message: RunEnded) -> None:
        self._run = None
        if self._epochs_timer is not None:
            self._epochs_timer.stop()
            self._draw_epochs()
        if self._curves_timer is not None:  # (also set by the rows just drawn)
            self._curves_timer.stop()
            self._draw_curves()
        self._show_finished(message.event)
        self.app.refresh_bindings()

    def _show_finished(self, finished: RunFinished) -> None:
        self.last_finished = finished
        self.run_panel.finished(finished)
        self.run_panel.set_startable(self.options.config is not None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure of the worker itself (not of the run, which execute_run reports) ends the run as failed."""
        if event.worker.group == "run" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self._run = None
            finished = RunFinished(None, "failed", f"The run could not be executed: {type(error).__name__}: {error}")
            self.post_message(RunEnded(finished))
