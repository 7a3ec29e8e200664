"""Helpers for the dashboard scenarios: a small real-MNIST config, the app on the test's store, waiting."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

from textual.pilot import Pilot

from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.store import RunStore
from tui.app import MnistTuiApp

SIZE = (120, 36)


def small_config(limit: int = 2000, epochs: int = 2, **train: object) -> RunConfig:
    return RunConfig(data=DataConfig(limit=limit, val_size=1000), train=TrainConfig(epochs=epochs, **train))


def make_app(config: RunConfig | None = None, runner: str = "process", **kwargs: object) -> MnistTuiApp:
    """The real app on the run store of $MNIST_TUI_HOME (the test's `mnist_tui_home`)."""
    return MnistTuiApp(RunStore.open(), runner=runner, initial=config, **kwargs)


async def wait_until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await pilot.pause(0.05)


async def run_to_end(pilot: Pilot, timeout: float = 90.0):
    """Press F5 and wait for the run's end; returns its RunFinished."""
    pane = pilot.app.train_pane
    before = pane.last_finished
    await pilot.press("f5")
    await wait_until(pilot, lambda: pane.last_finished is not before and not pane.running, timeout)
    return pane.last_finished


def pilot_test(test: Callable) -> Callable:
    """Run an async scenario with asyncio.run (no pytest async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: object, **kwargs: object) -> object:
        return asyncio.run(test(*args, **kwargs))

    return wrapper
