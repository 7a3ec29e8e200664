"""The dashboard: Train, Confusion, History and Studies tabs over one run store."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from multiprocessing import resource_tracker
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from runs.config import RunConfig
from runs.store import RunStore, StoreError
from tui.dialogs.confirm import ConfirmDialog
from tui.messages import EpochCompleted, RunBegan, RunEnded, StudyEnded
from tui.safe_text import plain
from tui.screens.dashboard import DashboardScreen
from tui.settings import load_options
from tui.widgets.confusion_pane import ConfusionPane
from tui.widgets.footer import QuietFooter
from tui.widgets.history_pane import HistoryPane
from tui.widgets.inside_pane import InsidePane
from tui.widgets.studies_pane import StudiesPane
from tui.widgets.train_pane import TrainPane

STYLES = Path(__file__).parent / "styles"
TAB_FOCUS = {"train": "#opt-dataset", "confusion": "ConfusionMatrix", "history": "#history-table",
             "studies": "#studies-table", "inside": "WeightTiles"}
"""Where the keyboard goes when a tab is shown (else its first focusable widget)."""


CURSOR_KEYS = frozenset({"up", "down", "left", "right", "escape", "tab", "shift+tab"})
TEXTUAL_COMMANDS_HIDDEN = frozenset({"Quit", "Maximize", "Minimize"})
"""Textual's Quit quits "as soon as possible" (ours asks while a run trains and is listed instead);
maximizing one widget of a tab only hides the rest of the dashboard."""


def _key_name(key: str) -> str:
    """'slash' -> '/', 'space' -> 'Space', 'f5' -> 'F5', 'ctrl+q' -> 'Ctrl+Q'; a letter stays as typed ('s', 'S')."""
    names = {"slash": "/", "space": "Space", "delete": "Delete", "escape": "Esc"}
    if key in names or len(key) == 1:
        return names.get(key, key)
    return "+".join(part.upper() if len(part) <= 3 else part.capitalize() for part in key.split("+"))


class MnistTuiApp(App[int]):
    """Design, train and compare small neural networks on MNIST."""

    TITLE = "mnist-tui"
    SUB_TITLE = "train small networks on MNIST, live"
    CSS_PATH = [STYLES / "app.tcss"]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    """Classes on the screen by terminal size: app.tcss lays the tabs out for 80x24 and up."""

    BINDINGS = [
        Binding("f2", "show_tab('train')", "Train", show=False, tooltip="Show the Train tab"),
        Binding("f3", "show_tab('confusion')", "Confusion", show=False, tooltip="Show the confusion matrix of the last run"),
        Binding("f4", "show_tab('history')", "History", show=False, tooltip="Show every run in the store"),
        Binding("f7", "show_tab('studies')", "Studies", show=False, tooltip="Show the studies: many runs compared, live"),
        Binding("f5", "start_run", "Start", tooltip="Train a network with the current options"),
        Binding("f6", "cancel_run", "Cancel", tooltip="Stop the current run after this batch (kept as cancelled)"),
        Binding("f9", "pause_run", "Pause", tooltip="Hold the current run between two batches; F9 again resumes"),
        Binding("f10", "show_inside", "Inside", show=False, tooltip="Show what a run's layers learned (from History: the run picked there)"),
        Binding("f8", "reset_options", "Defaults", tooltip="Put the default options back"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (asks first while a run is going)"),
    ]

    def __init__(
        self,
        store: RunStore,
        *,
        data_dir: str | None = None,
        runner: str = "process",
        initial: RunConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        study_workers: int | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        """The run store every pane reads (the run itself writes through its own connection)."""
        self._quit_when_run_ends = False
        self._train = TrainPane(initial, data_dir=data_dir, runner=runner, clock=clock)
        """Kept at hand: the footer asks check_action about it on every focus move (a query walks the DOM)."""
        self._studies = StudiesPane(store, data_dir=data_dir, workers=study_workers)
        # Textual swaps sys.stderr for a capture without a file descriptor while it runs, and
        # multiprocessing's resource tracker passes stderr's fd to its helper: start it now (a
        # process run and a study's worker pool both need it).
        resource_tracker.ensure_running()

    def get_default_screen(self) -> Screen:
        return DashboardScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="train", id="tabs"):
            with TabPane("Train F2", id="train"):
                yield self._train
            with TabPane("Confusion F3", id="confusion"):
                yield ConfusionPane(self.store)
            with TabPane("History F4", id="history"):
                yield HistoryPane(self.store)
            with TabPane("Studies F7", id="studies"):
                yield self._studies
            with TabPane("Inside F10", id="inside"):
                yield InsidePane(self.store)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one("#opt-dataset").focus()  # a newcomer starts at the first option
        # The widgets built at start live as long as the app: moving them out of the garbage
        # collector's reach removes its long pauses from key presses (p95 110 -> 75 ms, bench).
        self.call_after_refresh(gc.freeze)

    @property
    def train_pane(self) -> TrainPane:
        return self._train

    @property
    def studies_pane(self) -> StudiesPane:
        return self._studies

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette lists every dashboard action next to Textual's own."""
        for command in super().get_system_commands(screen):
            if command.title not in TEXTUAL_COMMANDS_HIDDEN:
                yield command
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                yield SystemCommand(binding.description, f"{binding.tooltip} ({_key_name(binding.key)})", partial(self.run_action, binding.action))
        # The focused pane's own actions (history: compare, delete, export...; confusion: show images),
        # named after their tab; cursor keys are left to the keyboard.
        tab = self.query_one("#tabs", TabbedContent).active.capitalize()
        seen = set()
        for key, active in screen.active_bindings.items():
            binding, node = active.binding, active.node
            if (node is self or not binding.description or key in CURSOR_KEYS
                    or (node, binding.action) in seen):
                continue
            seen.add((node, binding.action))
            help_text = binding.tooltip or binding.description
            yield SystemCommand(f"{tab}: {binding.description}", f"{help_text} ({_key_name(key)})",
                                partial(self.run_action, binding.action, node))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Start and Cancel show as unavailable (dimmed) when they do not apply."""
        running = self._train.running
        if action == "start_run":
            return None if running else True
        if action in ("cancel_run", "pause_run"):
            return True if running else None
        return True

    def action_show_tab(self, tab: str) -> None:
        """Show `tab` and put the keyboard focus in it, so arrows and keys act there at once."""
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        if self.focused is not None and pane in self.focused.ancestors:
            return
        target = next(iter(pane.query(TAB_FOCUS[tab])), None) or next((w for w in pane.query("*") if w.focusable), None)
        if target is not None:
            target.focus(scroll_visible=False)  # a tab opens at its top, not scrolled to the focus

    def action_show_inside(self) -> None:
        """Show the Inside tab; pressed in History, for the run picked there."""
        if self.query_one(TabbedContent).active == "history":
            run_id = self.query_one(HistoryPane).current_run_id()
            if run_id is not None:
                self.query_one(InsidePane).show_run(run_id)
        self.action_show_tab("inside")

    def on_run_began(self, message: RunBegan) -> None:
        self.query_one(InsidePane).run_started(message.event.run_id, message.event.config)

    def on_epoch_completed(self, message: EpochCompleted) -> None:
        event = message.event
        self.query_one(InsidePane).epoch_done(event.run_id, event.record, event.first_layer)

    def action_start_run(self) -> None:
        self.action_show_tab("train")
        self.train_pane.start()

    def action_cancel_run(self) -> None:
        self.train_pane.cancel()

    def action_pause_run(self) -> None:
        self.train_pane.toggle_pause()

    def action_reset_options(self) -> None:
        if self.train_pane.running:
            self.notify("The options stay as they are while a run is going.", severity="warning")
            return
        self.train_pane.options.load_config(RunConfig())
        self.notify("Options reset to the defaults.")

    async def action_quit(self) -> None:
        """Quit at once, or while a run or a study is going ask, cancel it and quit once it is recorded."""
        run, study = self.train_pane.running, self.studies_pane.running
        if not run and not study:
            self.exit(0)
            return

        def answered(quit_now: bool | None) -> None:
            if not quit_now:
                return
            stopping = self.train_pane.cancel()
            if self.studies_pane.job is not None:
                self.studies_pane.job.cancel()
                stopping = True
            if stopping:
                self._quit_when_run_ends = True
                self.notify("Cancelling; quitting once everything is recorded…")
            else:  # it ended while the question was open
                self.exit(0)

        what = "A run and a study are" if run and study else "A run is" if run else "A study is"
        body = ("Quit anyway? It stops after the current batch and is kept as cancelled, with the epochs it finished"
                + ("; `mnist-tui study resume` or r in the Studies tab runs the rest later." if study else "."))
        self.push_screen(
            ConfirmDialog(f"{what} still training", body, "Cancel and quit", "Keep training"),
            answered,
        )

    def _quit_if_idle(self) -> None:
        if self._quit_when_run_ends and not self.train_pane.running and not self.studies_pane.running:
            self.exit(0)

    def on_study_ended(self, message: StudyEnded) -> None:
        self._quit_if_idle()

    def on_run_ended(self, message: RunEnded) -> None:
        finished = message.event
        if finished.run_id is not None and finished.status == "failed":
            self.store.recover_interrupted()  # a child that died leaves its run 'running'
        if finished.run_id is not None and finished.status in ("completed", "cancelled"):
            for pane in self.query(ConfusionPane):  # none while the app is closing
                pane.show_run(finished.run_id)
        if finished.status == "failed" and finished.message:
            self.notify(plain(finished.message, multiline=True), title="Run failed", severity="error", timeout=10,
                        markup=False)
        elif finished.status == "diverged":
            self.notify(plain(finished.message, multiline=True), title="Run diverged", severity="error", timeout=10,
                        markup=False)
        for pane in self.query(InsidePane):  # none while the app is closing
            pane.run_ended(finished.run_id)
        self._quit_if_idle()

    def on_history_pane_load_options(self, message: HistoryPane.LoadOptions) -> None:
        if self.train_pane.running:
            self.notify("Wait for the current run to end before loading other options.", severity="warning")
            return
        try:
            config = RunConfig.from_dict(message.config)
        except (ValueError, TypeError) as error:
            self.notify(plain(f"That run's options cannot be loaded: {error}"), severity="error", markup=False)
            return
        self.train_pane.load_options(config, message.run_id)
        self.action_show_tab("train")
        self.notify(f"Options of run {message.run_id} loaded: change what you like and press F5 to train.")

    def on_history_pane_continue_run(self, message: HistoryPane.ContinueRun) -> None:
        self.train_pane.continue_run(message.run_id, self.store)

    def on_history_pane_show_confusion(self, message: HistoryPane.ShowConfusion) -> None:
        self.action_show_tab("confusion")
        self.query_one(ConfusionPane).show_run(message.run_id)


def run_dashboard(data_dir: str | None = None) -> int:
    """Open the store and run the app; a store that cannot be opened is reported, not raised."""
    try:
        store = RunStore.open()
    except StoreError as error:
        print(plain(f"mnist-tui: {error}", multiline=True), file=sys.stderr)
        return 1
    initial, problem = load_options()
    app = MnistTuiApp(store, data_dir=data_dir, initial=initial)
    for note in (problem, store.notice):  # a damaged options file; a full disk or read-only folder
        if note:
            app.call_later(app.notify, plain(note), severity="warning", timeout=10, markup=False)
    try:
        return app.run() or 0
    finally:
        store.close()
