"""Run stores for the history, confusion and compare tests (real runs, or fixed contents for
snapshots) and a small app that mounts those widgets the way the dashboard does."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from unittest import mock

import numpy as np
from textual.app import App, ComposeResult
from textual.widgets import Footer, TabbedContent, TabPane

from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore
from tui.widgets.confusion_matrix import ConfusionMatrix
from tui.widgets.confusion_pane import ConfusionPane
from tui.widgets.history_pane import HistoryPane

SMALL = RunConfig(data=DataConfig(limit=1000), train=TrainConfig(epochs=1))
"""A real run on 1,000 MNIST images for one epoch: about a second."""
SMALL_SGD = RunConfig(
    data=DataConfig(limit=1000),
    model=ModelConfig(hidden_sizes=(32, 32)),
    train=TrainConfig(epochs=2, optimizer="sgd", learning_rate=0.1),
)


def real_runs(store: RunStore, *configs: RunConfig) -> list[int]:
    """Train each config for real into `store`; returns the run ids."""
    ids = []
    for config in configs:
        finished = execute_run(config, store=store)
        assert finished.status == "completed", finished.message
        ids.append(finished.run_id)
    return ids


def _epoch(epoch: int, val: float, test: float) -> dict:
    return {"epoch": epoch, "train_loss": 1.0 / epoch, "train_acc": val - 0.01, "val_loss": 1.2 - val,
            "val_acc": val, "test_loss": 1.25 - test, "test_acc": test, "lr": 0.03, "seconds": 2.5}


def _confusion(seed: int, accuracy: float) -> list[list[int]]:
    """A plausible 10x10 count matrix with 1,000 test images per class."""
    rng = np.random.default_rng(seed)
    matrix = np.zeros((10, 10), dtype=np.int64)
    for row in range(10):
        wrong = int(1000 * (1 - accuracy) * rng.uniform(0.5, 1.5))
        spread = rng.multinomial(wrong, rng.dirichlet(np.full(9, 0.4)))
        matrix[row, [c for c in range(10) if c != row]] = spread
        matrix[row, row] = 1000 - wrong
    return matrix.tolist()


def fixed_store(path: Path) -> RunStore:
    """Three runs with fixed dates, metrics and confusion matrices, for stable snapshots."""
    store = RunStore.open(path)
    info = {"source": {"kind": "env", "path": "/data"}, "checksums": {}}
    runs = [
        (RunConfig(train=TrainConfig(epochs=3, learning_rate=0.03)), [(0.91, 0.905), (0.94, 0.936), (0.952, 0.9488)], 0.95),
        (RunConfig(model=ModelConfig(hidden_sizes=(128, 64)),
                   train=TrainConfig(epochs=3, optimizer="sgd", learning_rate=0.1)),
         [(0.89, 0.887), (0.935, 0.93), (0.961, 0.9634)], 0.963),
        (RunConfig(data=DataConfig(dataset="fashion-mnist", limit=20000), train=TrainConfig(epochs=5, learning_rate=0.03)),
         [(0.81, 0.80)], None),
    ]
    for day, (config, epochs, accuracy) in enumerate(runs, start=10):
        with mock.patch("runs.store._now", return_value=f"2026-03-{day}T09:30:00+00:00"):
            run_id = store.create_run(config, info)
            for number, (val, test) in enumerate(epochs, start=1):
                store.add_epoch(run_id, _epoch(number, val, test))
            if accuracy is None:
                store.finish_run(run_id, "cancelled", "cancelled by the user")
            else:
                final = {"test_acc": epochs[-1][1], "test_loss": 1.25 - epochs[-1][1]}
                store.finish_run(run_id, "completed", "", final=final, confusion=_confusion(run_id, accuracy))
    return store


class PanesApp(App):
    """The history and confusion panes in tabs, wired as the dashboard wires them."""

    def __init__(self, store: RunStore) -> None:
        super().__init__()
        self.store = store
        self.loaded_options: list[dict] = []

    def compose(self) -> ComposeResult:
        with TabbedContent():
            with TabPane("History", id="history"):
                yield HistoryPane(self.store)
            with TabPane("Confusion", id="confusion"):
                yield ConfusionPane(self.store)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history-table").focus()

    def on_history_pane_show_confusion(self, message: HistoryPane.ShowConfusion) -> None:
        self.query_one(TabbedContent).active = "confusion"
        self.query_one(ConfusionPane).show_run(message.run_id)
        self.query_one(ConfusionMatrix).focus()

    def on_history_pane_load_options(self, message: HistoryPane.LoadOptions) -> None:
        self.loaded_options.append(message.config)


async def settle(pilot, seconds: float = 0.1) -> None:
    """Let workers finish and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(seconds)


def scenario(test):
    """Run an async Pilot test with asyncio.run, so no pytest async plugin is needed."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run
