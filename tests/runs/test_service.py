"""execute_run end to end on real MNIST subsets: events, store contents, model file, every way a run ends."""

from __future__ import annotations

import threading
import time

import numpy as np

from data.loader import load_dataset
from data.splits import Normalization
from nn_core.config import TrainConfig
from nn_core.model_io import load_model
from runs.config import DataConfig, RunConfig
from runs.events import BatchProgress, DataProgress, EpochDone, RunFinished, RunStarted
from runs.service import execute_run
from runs.store import RunStore


def _config(**train) -> RunConfig:
    return RunConfig(data=DataConfig(limit=2000, val_size=1000), train=TrainConfig(**{"epochs": 2, **train}))


def test_completed_run_is_recorded_with_model_and_events_in_order(mnist_tui_home):
    events = []
    with RunStore.open() as store:
        finished = execute_run(_config(), store=store, on_event=events.append)
        run = store.get_run(finished.run_id)

    assert finished.status == "completed" and finished.message == ""
    kinds = [type(e) for e in events]
    assert kinds[0] is DataProgress and kinds[-1] is RunFinished and events[-1] == finished
    started = kinds.index(RunStarted)
    assert DataProgress not in kinds[started:]
    assert [e.record["epoch"] for e in events if isinstance(e, EpochDone)] == [1, 2]
    assert any(isinstance(e, BatchProgress) for e in events)

    assert run.status == "completed" and len(run.epochs) == 2
    assert run.dataset["name"] == "mnist" and run.dataset["train_size"] == 2000 and run.dataset["val_size"] == 1000
    assert len(run.dataset["checksums"]) == 4
    assert run.final["test_acc"] > 0.8  # far above chance (0.1) after two epochs on 2000 images
    assert np.asarray(run.confusion).sum() == 10000
    assert len(run.final["precision"]) == 10 and len(run.final["mistakes"]) == 25
    # Layer statistics ride with each epoch: the hidden layer and the output layer, healthy.
    layers = run.epochs[-1]["layers"]
    assert [row["layer"] for row in layers] == [1, 2]
    assert layers[0]["dead"] < 0.5 and all(row["grad_norm"] > 0 and 0 < row["update_ratio"] < 1 for row in layers)
    assert sum(layers[0]["hist"]["now"]) == 784 * 64 == sum(layers[0]["hist"]["init"])

    # The saved model and its normalization reproduce the recorded test accuracy.
    saved = load_model(run.model_path)
    dataset = load_dataset("mnist")
    x = Normalization.from_dict(saved.normalization).apply(dataset.test_images)
    accuracy = float((saved.model.predict(x) == dataset.test_labels).mean())
    assert abs(accuracy - run.final["test_acc"]) < 1e-9


def test_each_epoch_is_committed_before_its_event(mnist_tui_home):
    seen = []

    def on_event(event):
        if isinstance(event, EpochDone):
            with RunStore.open() as other:  # another connection, as the dashboard would be
                seen.append(len(other.get_run(event.run_id).epochs))

    with RunStore.open() as store:
        execute_run(_config(), store=store, on_event=on_event)
    assert seen == [1, 2]


def test_cancel_ends_cancelled_with_the_epochs_done(mnist_tui_home):
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, EpochDone):
            cancel.set()

    with RunStore.open() as store:
        finished = execute_run(_config(epochs=5), store=store, on_event=on_event, cancel=cancel)
        run = store.get_run(finished.run_id)
    assert finished.status == "cancelled" and "Cancelled in epoch 2" in finished.message
    assert run.status == "cancelled" and len(run.epochs) == 1
    assert run.model_path and load_model(run.model_path).model is not None


def test_divergence_is_recorded_not_raised(mnist_tui_home):
    with RunStore.open() as store:
        finished = execute_run(_config(learning_rate=1e30), store=store)
        run = store.get_run(finished.run_id)
    assert finished.status == "diverged" and "lower learning rate" in finished.message
    assert run.status == "diverged" and run.message == finished.message and run.model_path is None


def test_missing_data_fails_before_a_run_exists(mnist_tui_home, tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    config = RunConfig(data=DataConfig(data_dir=str(empty)), train=TrainConfig(epochs=1))
    with RunStore.open() as store:
        finished = execute_run(config, store=store)
        assert store.list_runs() == []
    assert finished.run_id is None and finished.status == "failed" and str(empty) in finished.message


def test_unexpected_error_marks_the_run_failed_and_returns(mnist_tui_home):
    def on_event(event):
        if isinstance(event, EpochDone):
            raise RuntimeError("viewer crashed")

    with RunStore.open() as store:
        finished = execute_run(_config(), store=store, on_event=on_event)
        run = store.get_run(finished.run_id)
    assert finished.status == "failed" and "RuntimeError: viewer crashed" in finished.message
    assert run.status == "failed" and run.message == finished.message and len(run.epochs) == 1


def test_batch_progress_is_throttled(mnist_tui_home):
    progress = []
    config = RunConfig(data=DataConfig(limit=4000, val_size=0), train=TrainConfig(epochs=1, batch_size=4))
    start = time.perf_counter()
    with RunStore.open() as store:
        execute_run(config, store=store, on_event=lambda e: isinstance(e, BatchProgress) and progress.append(e))
    elapsed = time.perf_counter() - start
    assert progress[-1].batch == progress[-1].batches == 1000
    assert len(progress) <= elapsed * 20 + 2 < 1000
    assert progress[0].batch == 1 and progress[0].samples_per_second is None
    assert all(p.samples_per_second > 0 for p in progress[1:])


def test_speed_is_measured_between_batches_never_over_the_first_alone(monkeypatch):
    """The first batch of an epoch has no start to measure from: no speed, rather than 3e10 samples/s."""
    from runs import service

    clock = iter([100.0, 100.5, 101.0, 200.0])
    monkeypatch.setattr(service.time, "perf_counter", lambda: next(clock))
    events = []
    reporter = service._BatchReporter(events.append, batch_size=32, cancel=None, interval=0.0)
    reporter(1, 1, 3)  # t=100: the first batch ends
    reporter(1, 2, 3)  # t=100.5: one more batch of 32 in 0.5 s
    reporter(1, 3, 3)  # t=101: two batches in 1 s
    reporter(2, 1, 3)  # the next epoch starts again without a speed
    assert [e.samples_per_second for e in events] == [None, 64.0, 64.0, None]


def test_without_a_store_the_home_store_is_used(mnist_tui_home):
    finished = execute_run(RunConfig(data=DataConfig(limit=500, val_size=0), train=TrainConfig(epochs=1)))
    with RunStore.open() as store:
        assert store.get_run(finished.run_id).status == "completed"
    assert (mnist_tui_home / "models" / f"{finished.run_id}.npz").is_file()


def test_a_run_over_the_memory_limit_fails_before_anything_is_allocated_or_recorded(mnist_tui_home):
    """Issue 9, item 13: the dashboard's child process refuses too, whatever sent the config."""
    from nn_core.config import ModelConfig

    events = []
    config = RunConfig(model=ModelConfig(hidden_sizes=(1_000_000, 1_000_000)))
    finished = execute_run(config, on_event=events.append)
    assert finished.run_id is None and finished.status == "failed"
    assert "hidden_sizes" in finished.message and "of this machine's memory" in finished.message
    assert events == [finished]
    with RunStore.open() as store:
        assert store.list_runs() == []
