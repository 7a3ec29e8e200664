"""The run panel: Start/Cancel, the run's state, progress within and across epochs, speed and ETA."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Label, ProgressBar, Static

from runs.events import BatchProgress, DataProgress, RunFinished, RunStarted
from tui.safe_text import safe_text

STATES = ("ready", "loading", "training", "paused", "cancelling", "completed", "cancelled", "diverged", "failed")


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RunPanel(Widget):
    """Shows one run at a time; the parent feeds it the run's events."""

    DEFAULT_CSS = """
    RunPanel {
        height: auto;
        border: round $primary 50%;
        padding: 0 1;
    }
    RunPanel #run-buttons { height: 1; }
    RunPanel Button { margin-right: 2; }
    RunPanel #run-state { width: 1fr; height: 1; padding-left: 1; text-style: bold; }
    RunPanel #run-bars { height: auto; }
    RunPanel .bar-row { height: 1; }
    RunPanel .bar-label { width: 7; color: $text-muted; }
    RunPanel ProgressBar { width: 1fr; }
    RunPanel ProgressBar Bar { width: 1fr; }
    RunPanel #run-stats { height: 1; color: $text-muted; }
    RunPanel #run-message-box { height: auto; max-height: 8; scrollbar-size-vertical: 1; }
    RunPanel #run-message { height: auto; }
    RunPanel.-state-ready #run-state { color: $text-muted; }
    RunPanel.-state-loading #run-state, RunPanel.-state-paused #run-state, RunPanel.-state-cancelling #run-state, RunPanel.-state-cancelled #run-state { color: $warning; }
    RunPanel.-state-training #run-state { color: $accent; }
    RunPanel.-state-completed #run-state { color: $success; }
    RunPanel.-state-diverged #run-state, RunPanel.-state-failed #run-state, RunPanel.-state-diverged #run-message, RunPanel.-state-failed #run-message { color: $error; }
    """

    state: reactive[str] = reactive("ready")
    """ready, loading, training, paused, cancelling, completed, cancelled, diverged or failed."""

    def __init__(self, clock: Any = time.monotonic, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Run"
        self._clock = clock
        self._epochs = 0
        self._started_at: float | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-buttons"):
            yield Button("Start  F5", id="start", variant="success", compact=True, tooltip="Train a network with these options (F5)")
            yield Button("Cancel  F6", id="cancel", variant="error", compact=True, disabled=True, tooltip="Stop after the current batch; the run is kept as cancelled (F6)")
            yield Button("Pause  F9", id="pause", compact=True, disabled=True, tooltip="Hold the run between two batches; F9 again resumes")
            yield Label("Ready", id="run-state")
        with Vertical(id="run-bars"):
            with Horizontal(classes="bar-row"):
                yield Label("epoch", classes="bar-label", id="epoch-bar-label")
                yield ProgressBar(total=1, id="epoch-bar", show_eta=False)
            with Horizontal(classes="bar-row"):
                yield Label("run", classes="bar-label")
                yield ProgressBar(total=1, id="run-bar", show_eta=False)
        yield Static("", id="run-stats")
        with VerticalScroll(id="run-message-box", can_focus=False):  # a long message scrolls, never cut
            yield Static("", id="run-message")

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(f"-state-{old}")
        self.add_class(f"-state-{new}")
        busy = new in ("loading", "training", "paused", "cancelling")
        self.query_one("#cancel", Button).disabled = new not in ("loading", "training", "paused")
        pause = self.query_one("#pause", Button)
        pause.disabled = new not in ("training", "paused")
        pause.label = "Resume  F9" if new == "paused" else "Pause  F9"
        if busy:
            self.query_one("#start", Button).disabled = True

    def set_startable(self, startable: bool) -> None:
        """Start is enabled only with valid options and no run going."""
        busy = self.state in ("loading", "training", "paused", "cancelling")
        self.query_one("#start", Button).disabled = busy or not startable

    def _show(self, state: str, text: str, message: str = "") -> None:
        """Both strings may quote a run's stored message or an error naming stored paths: shown as text."""
        self.state = state
        self.query_one("#run-state", Label).update(safe_text(text), layout=False)
        self.query_one("#run-message", Static).update(safe_text(message, multiline=True))

    def begin(self, epochs: int) -> None:
        self._epochs = epochs
        self._started_at = None
        self.query_one("#epoch-bar", ProgressBar).update(total=1, progress=0)
        self.query_one("#run-bar", ProgressBar).update(total=epochs, progress=0)
        self.query_one("#run-stats", Static).update("", layout=False)
        self._show("loading", "Loading data…")

    def reset(self) -> None:
        """Empty bars and no speed: nothing left of the previous run."""
        self.query_one("#epoch-bar", ProgressBar).update(total=1, progress=0)
        self.query_one("#run-bar", ProgressBar).update(total=1, progress=0)
        self.query_one("#run-stats", Static).update("", layout=False)

    def data_progress(self, event: DataProgress) -> None:
        self.query_one("#epoch-bar-label", Label).update("data")
        self.query_one("#epoch-bar", ProgressBar).update(total=event.total, progress=event.done)
        action, _, what = event.stage.partition(" ")  # 'download train-images-idx3-ubyte.gz', 'load ...'
        verb = "Downloading" if action == "download" else "Loading"
        detail = what or "data"
        if event.total:
            detail += f"  {event.done / event.total:.0%}"
        self._show("loading", f"{verb} {detail}")

    def run_started(self, event: RunStarted) -> None:
        self._started_at = self._clock()
        self.query_one("#epoch-bar-label", Label).update("epoch")
        self.query_one("#epoch-bar", ProgressBar).update(total=None, progress=0)
        dataset = event.dataset.get("name", "data")
        self._show(
            "training",
            f"Training run #{event.run_id}",
            f"{dataset}: {event.train_size:,} training, {event.val_size:,} validation, {event.test_size:,} test images",
        )

    def batch_progress(self, event: BatchProgress) -> None:
        epochs = max(self._epochs, 1)
        self.query_one("#epoch-bar", ProgressBar).update(total=event.batches, progress=event.batch)
        done = ((event.epoch - 1) * event.batches + event.batch) / (epochs * event.batches)
        self.query_one("#run-bar", ProgressBar).update(total=epochs, progress=done * epochs)
        eta, speed = "…", "…"
        if event.samples_per_second is not None:  # unknown on an epoch's first batch: no guess shown
            speed = f"{event.samples_per_second:,.0f}"
            if self._started_at is not None and done > 0:
                elapsed = self._clock() - self._started_at
                eta = format_duration(elapsed * (1 - done) / done)
        self.query_one("#run-stats", Static).update(
            f"epoch {event.epoch}/{epochs}  ·  batch {event.batch:,}/{event.batches:,}  ·  "
            f"{speed} samples/s  ·  ETA {eta}",
            layout=False,  # a fixed one-line box: redraw it without a layout pass (keeps keys fast)
        )

    def epoch_done(self, epoch: int) -> None:
        self.query_one("#epoch-bar", ProgressBar).update(progress=self.query_one("#epoch-bar", ProgressBar).total or 0)
        self.query_one("#run-bar", ProgressBar).update(total=max(self._epochs, 1), progress=epoch)

    def paused(self, run_id: int | None) -> None:
        run = f" run #{run_id}" if run_id is not None else ""
        self._show("paused", f"Paused{run} (F9 resumes)",
                   "The run waits between two batches; its epochs so far are saved.")

    def resumed(self, run_id: int | None) -> None:
        run = f" run #{run_id}" if run_id is not None else ""
        self._show("training", f"Training{run}")

    def cancelling(self) -> None:
        self._show("cancelling", "Cancelling… (finishing the current batch)")

    def notice(self, text: str, message: str) -> None:
        """Back to ready with an explanation (e.g. the data was not downloaded)."""
        self._show("ready", text, message)

    def finished(self, event: RunFinished) -> None:
        final = event.final or {}
        if event.status == "completed":
            accuracy = final.get("test_acc")
            which = (f"best-validation weights, epoch {final.get('best_epoch')}" if final.get("weights") == "best"
                     else "last epoch's weights")
            details = [f"test accuracy {accuracy:.2%} ({which})"] if isinstance(accuracy, (int, float)) else []
            if self._started_at is not None:
                details.append(f"took {format_duration(self._clock() - self._started_at)}")
            details.append("confusion matrix: F3")
            stopped = f"\n{event.message}" if event.message else ""  # why it stopped early, if it did
            self._show("completed", f"Completed run #{event.run_id}", "  ·  ".join(details) + stopped)
            self.query_one("#epoch-bar", ProgressBar).update(total=1, progress=1)
        else:
            self.query_one("#run-stats", Static).update("", layout=False)  # no stale speed beside the error
            run = f" run #{event.run_id}" if event.run_id is not None else ""
            self._show(event.status if event.status in STATES else "failed", f"{event.status.capitalize()}{run}", event.message)
