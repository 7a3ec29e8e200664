"""Runs one training end to end — data, model, training, evaluation, model file, run store — for every front end.

The command line calls `execute_run` directly; the dashboard calls it in a child process.
Viewers follow along through `on_event` (see runs.events). Failures of the run itself are
recorded and returned, never raised, so a caller always gets a RunFinished.

Data errors (missing or corrupt files) happen before a run exists and are not recorded: the
history holds runs that trained, each with its data's provenance, and the caller shows the
message (with how to fix it) at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from data.errors import DataError
from data.loader import load_dataset
from data.splits import make_splits
from nn_core.metrics import evaluate
from nn_core.model import MLP
from nn_core.fpenv import flush_subnormals
from nn_core.model_io import save_model
from nn_core.threads import blas_threads
from nn_core.train import Trainer
from nn_core.config import ConfigError
from runs.config import RunConfig, check_memory
from runs.events import BatchProgress, DataProgress, EpochDone, Event, RunFinished, RunStarted
from runs.store import RunStore

PROGRESS_INTERVAL_S = 0.05
"""BatchProgress is emitted at most this often (about 20 per second), plus every epoch's last batch."""


def _dataset_info(dataset: Any, splits: Any) -> dict[str, Any]:
    return {
        "name": dataset.spec.name,
        "source": {"kind": dataset.source.kind, "path": str(dataset.source.path)},
        "downloaded": bool(dataset.downloaded),
        "checksums": dict(dataset.checksums),
        "train_size": int(len(splits.y_train)),
        "val_size": int(len(splits.y_val)),
        "test_size": int(len(splits.y_test)),
        "normalization": splits.normalization.to_dict(),
    }


class _BatchReporter:
    """Trainer's on_batch: forwards cancellation and emits throttled BatchProgress (cheap on every batch)."""

    def __init__(self, emit: Callable[[Event], None], batch_size: int, cancel: Any,
                 interval: float = PROGRESS_INTERVAL_S) -> None:
        self.emit = emit
        self.interval = interval
        self.batch_size = batch_size
        self.cancel = cancel
        self.trainer: Trainer | None = None
        self._epoch = -1
        self._epoch_start = 0.0
        self._first_batch = 0
        self._last = 0.0

    def __call__(self, epoch: int, batch: int, batches: int) -> None:
        # Called after each batch, so the epoch's start is unknown here: the speed is measured from
        # the end of its first batch, over the batches since (a rate over zero seconds was 3e10).
        now = time.perf_counter()
        if epoch != self._epoch:
            self._epoch, self._epoch_start, self._first_batch = epoch, now, batch
        if self.cancel is not None and self.cancel.is_set() and self.trainer is not None:
            self.trainer.cancel()
        if now - self._last >= self.interval or batch >= batches:
            self._last = now
            done, elapsed = batch - self._first_batch, now - self._epoch_start
            rate = done * self.batch_size / elapsed if done > 0 and elapsed > 0 else None
            self.emit(BatchProgress(epoch, batch, batches, rate))


def _final_metrics(evaluation: Any, records: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    last = records[-1] if records else {}
    return {
        "test_loss": float(evaluation.loss),
        "test_acc": float(evaluation.accuracy),
        "train_loss": last.get("train_loss"),
        "train_acc": last.get("train_acc"),
        "val_loss": last.get("val_loss"),
        "val_acc": last.get("val_acc"),
        "precision": [float(p) for p in evaluation.precision],
        "recall": [float(r) for r in evaluation.recall],
        "mistakes": [int(i) for i in evaluation.mistakes],
        "epochs": len(records),
        "seconds": seconds,
    }


def execute_run(
    config: RunConfig,
    *,
    store: RunStore | None = None,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
) -> RunFinished:
    """Train `config` end to end, recording it in `store` (opened from the home folder when None).

    Args:
        on_event: called in this thread with each event; BatchProgress is throttled.
        cancel: when set, training stops between batches and the run ends `cancelled`.

    Returns:
        RunFinished with status completed, cancelled, diverged or failed (run_id None if the
        run never started, e.g. the data could not be loaded).
    """
    emit = on_event or (lambda event: None)
    own_store = store is None
    run_id: int | None = None
    try:
        try:
            check_memory(config)
        except ConfigError as error:
            return _report(emit, RunFinished(None, "failed", str(error)))
        if store is None:
            store = RunStore.open()
        try:
            dataset = load_dataset(
                config.data.dataset,
                config.data.data_dir,
                progress=lambda stage, done, total: emit(DataProgress(stage, done, total)),
            )
            splits = make_splits(
                dataset,
                val_size=config.data.val_size,
                limit=config.data.limit,
                seed=config.train.seed,
                normalization=config.data.normalization,
            )
        except DataError as error:
            return _report(emit, RunFinished(None, "failed", str(error)))
        if cancel is not None and cancel.is_set():
            return _report(emit, RunFinished(None, "cancelled", "cancelled before training started"))

        info = _dataset_info(dataset, splits)
        run_id = store.create_run(config, info)
        emit(RunStarted(run_id, config.to_dict(), info, info["train_size"], info["val_size"], info["test_size"]))
        with blas_threads(), flush_subnormals():
            finished = _train(config, store, run_id, splits, emit, cancel)
        return _report(emit, finished)
    except KeyboardInterrupt:
        if run_id is not None and store is not None:
            store.finish_run(run_id, "cancelled", "interrupted by Ctrl-C")
        raise
    except Exception as error:  # noqa: BLE001 - any failure of a run is recorded and returned
        message = f"{type(error).__name__}: {error}"
        if run_id is not None and store is not None:
            try:
                store.finish_run(run_id, "failed", message)
            except Exception as store_error:  # noqa: BLE001
                message += f" (and recording the failure failed: {store_error})"
        return _report(emit, RunFinished(run_id, "failed", message))
    finally:
        if own_store and store is not None:
            store.close()


def _train(
    config: RunConfig,
    store: RunStore,
    run_id: int,
    splits: Any,
    emit: Callable[[Event], None],
    cancel: threading.Event | None,
) -> RunFinished:
    started = time.perf_counter()
    model = MLP(config.model, seed=config.train.seed)
    reporter = _BatchReporter(emit, config.train.batch_size, cancel)
    trainer = Trainer(
        model,
        config.train,
        train=(splits.x_train, splits.y_train),
        val=(splits.x_val, splits.y_val) if len(splits.y_val) else None,
        test=(splits.x_test, splits.y_test),
        on_batch=reporter,
    )
    reporter.trainer = trainer
    records: list[dict[str, Any]] = []
    for record in trainer.run():
        row = record.as_dict()
        store.add_epoch(run_id, row)
        records.append(row)
        emit(EpochDone(run_id, row))
        if cancel is not None and cancel.is_set():
            trainer.cancel()
    status, message = trainer.status, trainer.message
    if status == "diverged":
        store.finish_run(run_id, status, message, final={"epochs": len(records)})
        return RunFinished(run_id, status, message, final={"epochs": len(records)})

    evaluation = evaluate(model, splits.x_test, splits.y_test)
    final = _final_metrics(evaluation, records, time.perf_counter() - started)
    confusion = evaluation.confusion.tolist()
    model_path = store.model_path(run_id)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(
        model_path,
        model,
        normalization=splits.normalization.to_dict(),
        metadata={"run_id": run_id, "dataset": config.data.dataset, "config": config.to_dict()},
    )
    store.finish_run(run_id, status, message, final=final, confusion=confusion, model_path=model_path)
    return RunFinished(run_id, status, message, final=final, confusion=confusion)


def _report(emit: Callable[[Event], None], finished: RunFinished) -> RunFinished:
    emit(finished)
    return finished
