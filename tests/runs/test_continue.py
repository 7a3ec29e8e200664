"""Checkpoints and `continue_run`: a stopped run goes on bit for bit as if it had never stopped."""

from __future__ import annotations

import threading
from dataclasses import replace
import zipfile

import numpy as np
import pytest

from nn_core.config import TrainConfig
from nn_core.model_io import load_model
from runs.config import DataConfig, RunConfig
from runs.events import BatchProgress, EpochDone
from runs.service import CannotContinue, continue_run, execute_run
from runs.store import RunStore

NUMBERS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr")


def _config(optimizer: str, epochs: int = 6, val_size: int = 500) -> RunConfig:
    return RunConfig(
        data=DataConfig(limit=2000, val_size=val_size),
        train=TrainConfig(epochs=epochs, optimizer=optimizer, dropout=(0.2,), augment_shift=2, augment_rotate=10.0,
                          batch_size=32, seed=5),
    )


def _arrays(path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k not in ("metadata", "checkpoint")}


def _numbers(run) -> list[tuple]:
    return [tuple(e[k] for k in ("epoch", *NUMBERS)) for e in run.epochs]


def _cancel_after(epoch: int):
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, EpochDone) and event.record["epoch"] == epoch:
            cancel.set()

    return cancel, on_event


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adam"])
def test_cancelled_then_continued_equals_straight_run(mnist_tui_home, optimizer):
    with RunStore.open() as store:
        straight = execute_run(_config(optimizer), store=store)
        cancel, on_event = _cancel_after(3)
        stopped = execute_run(_config(optimizer), store=store, on_event=on_event, cancel=cancel)
        assert stopped.status == "cancelled" and len(store.get_run(stopped.run_id).epochs) == 3
        continued = continue_run(stopped.run_id, store=store)
        a, b = store.get_run(straight.run_id), store.get_run(stopped.run_id)

    assert continued.status == "completed" and continued.run_id == stopped.run_id
    assert _numbers(b) == _numbers(a) and len(a.epochs) == 6
    assert {k: v for k, v in b.final.items() if k != "seconds"} == {k: v for k, v in a.final.items() if k != "seconds"}
    arrays_a, arrays_b = _arrays(a.model_path), _arrays(b.model_path)
    assert arrays_a.keys() == arrays_b.keys() and any(k.startswith("opt") for k in arrays_a)
    for key in arrays_a:
        assert np.array_equal(arrays_a[key], arrays_b[key]), key


def test_cancelled_run_keeps_its_last_finished_epoch(mnist_tui_home):
    stop = threading.Event()
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, EpochDone) and event.record["epoch"] == 2:
            stop.set()
        elif stop.is_set() and isinstance(event, BatchProgress) and event.epoch == 3 and event.batch < event.batches:
            cancel.set()  # part-way through epoch 3

    config = _config("momentum", val_size=0)
    config = replace(config, data=replace(config.data, limit=20000))  # epochs long enough for progress events
    with RunStore.open() as store:
        finished = execute_run(config, store=store, on_event=on_event, cancel=cancel)
        run = store.get_run(finished.run_id)
    assert finished.status == "cancelled" and len(run.epochs) == 2
    assert run.final["test_acc"] == run.epochs[-1]["test_acc"] and run.final["weights"] == "last"
    with np.load(run.model_path) as f:
        assert '"epoch": 2' in str(f["metadata"])


def test_without_validation_set_there_is_no_best(mnist_tui_home):
    with RunStore.open() as store:
        finished = execute_run(_config("sgd", epochs=2, val_size=0), store=store)
        run = store.get_run(finished.run_id)
    assert run.final["weights"] == "last" and run.final["best_epoch"] is None and run.final["test_acc_best"] is None
    assert run.best_epoch is None  # never the test accuracy's best epoch
    with pytest.raises(Exception, match="no best-validation weights"):
        load_model(run.model_path, weights="best")
    with zipfile.ZipFile(run.model_path) as z:
        assert not any(n.startswith("best_") for n in z.namelist())


def test_final_test_accuracy_is_the_best_validation_epochs(mnist_tui_home):
    with RunStore.open() as store:
        finished = execute_run(_config("adam", epochs=4), store=store)
        run = store.get_run(finished.run_id)
    best = max(run.epochs, key=lambda e: e["val_acc"])
    assert run.final["weights"] == "best" and run.final["best_epoch"] == best["epoch"]
    assert run.final["test_acc"] == run.final["test_acc_best"] == best["test_acc"]
    assert run.final["test_acc_last"] == run.epochs[-1]["test_acc"]
    assert load_model(run.model_path, weights="best").weights == "best"


def test_refusals_change_nothing(mnist_tui_home):
    with RunStore.open() as store:
        finished = execute_run(_config("sgd", epochs=2), store=store)
        before = store.get_run(finished.run_id)
        data = open(before.model_path, "rb").read()
        with pytest.raises(CannotContinue, match="expected more than 2"):
            continue_run(finished.run_id, store=store)
        with pytest.raises(CannotContinue, match="expected more than 2"):
            continue_run(finished.run_id, epochs=1, store=store)
        assert store.get_run(finished.run_id) == before and open(before.model_path, "rb").read() == data


def test_a_study_trial_is_not_continued(mnist_tui_home):
    with RunStore.open() as store:
        finished = execute_run(_config("sgd", epochs=2), store=store)
        store._conn.execute("INSERT INTO studies (id, name, created_at, status, spec, fingerprint, trials) "
                            "VALUES (1, 's', '2026-01-01', 'completed', '{}', 'f', 1)")
        store._conn.execute("UPDATE runs SET study_id = 1, trial_key = 'k' WHERE id = ?", (finished.run_id,))
        store._conn.commit()
        with pytest.raises(CannotContinue, match="trial of study 1"):
            continue_run(finished.run_id, epochs=4, store=store)
