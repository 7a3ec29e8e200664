"""Runs one training end to end — data, model, training, evaluation, model file, run store — for every front end.

The command line calls `execute_run` directly; the dashboard calls it in a child process.
Viewers follow along through `on_event` (see runs.events). Failures of the run itself are
recorded and returned, never raised, so a caller always gets a RunFinished.

Data errors (missing or corrupt files) happen before a run exists and are not recorded: the
history holds runs that trained, each with its data's provenance, and the caller shows the
message (with how to fix it) at once.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable

from data.errors import DataError
from data.loader import load_dataset
from data.splits import make_splits
from nn_core.metrics import evaluate
from nn_core.layer_stats import LayerStats, probe_images
from nn_core.model import MLP
from nn_core.fpenv import flush_subnormals
from nn_core.checkpoint import TrainState
from nn_core.model_io import ModelFileError, load_checkpoint, save_model
from nn_core.optimizers import make_optimizer
from nn_core.threads import blas_threads
from nn_core.train import Trainer
from nn_core.config import ConfigError
from runs.config import RunConfig, check_memory
from runs.events import BatchProgress, DataProgress, EpochDone, Event, RunFinished, RunStarted
from runs.store import RunStore, StoreError, UnknownRunError
from runs.store_files import remove_quietly

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
                 interval: float = PROGRESS_INTERVAL_S, pause: Any = None) -> None:
        self.emit = emit
        self.pause = pause
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
        if self.pause is not None and self.pause.is_set():
            self._wait_while_paused()
        if self.cancel is not None and self.cancel.is_set() and self.trainer is not None:
            self.trainer.cancel()
        if now - self._last >= self.interval or batch >= batches:
            self._last = now
            done, elapsed = batch - self._first_batch, now - self._epoch_start
            rate = done * self.batch_size / elapsed if done > 0 and elapsed > 0 else None
            self.emit(BatchProgress(epoch, batch, batches, rate))


    def _wait_while_paused(self) -> None:
        """Hold the run between two batches until `pause` is cleared (or cancel set); the paused
        time is left out of the epoch's samples-per-second but counts in its wall time."""
        paused = time.perf_counter()
        while self.pause.is_set() and not (self.cancel is not None and self.cancel.is_set()):
            time.sleep(PAUSE_POLL_S)
        self._epoch_start += time.perf_counter() - paused


PAUSE_POLL_S = 0.05
"""How often a paused run looks whether it may go on (a resume takes effect within this)."""


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
    pause: threading.Event | None = None,
) -> RunFinished:
    """Train `config` end to end, recording it in `store` (opened from the home folder when None).

    Args:
        on_event: called in this thread with each event; BatchProgress is throttled.
        cancel: when set, training stops between batches and the run ends `cancelled`.
        pause: while set, training waits between batches (the dashboard's Pause).

    Returns:
        RunFinished with status completed, cancelled, diverged or failed (run_id None if the
        run never started, e.g. the data could not be loaded).
    """

    def start(store: RunStore, splits: Any, info: dict[str, Any]) -> tuple[int, Callable[[], RunFinished]]:
        run_id = store.create_run(config, info)
        emit(RunStarted(run_id, config.to_dict(), info, info["train_size"], info["val_size"], info["test_size"]))
        return run_id, lambda: _train(config, store, run_id, splits, emit, cancel, pause=pause)

    emit = on_event or (lambda event: None)
    return _guarded(config, store, emit, cancel, start)


class CannotContinue(ValueError):
    """A run that `continue_run` refuses (unknown, damaged, running, diverged, failed, or fewer epochs asked)."""


CONTINUABLE = ("cancelled", "interrupted", "completed")


def continue_run(
    run_id: int,
    *,
    epochs: int | None = None,
    store: RunStore | None = None,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
    pause: threading.Event | None = None,
) -> RunFinished:
    """Continue a cancelled, interrupted or completed run in place (same id) up to `epochs` in total
    (default: its planned epochs), from the checkpoint in its model file.

    The data are loaded again (same seed, so the same split; the checksums must match the stored
    ones), the model, optimizer and random generators are put back as they were after the
    checkpoint's epoch, and training goes on as if it had never stopped: bit-identical to an
    uninterrupted run with the same BLAS thread count. A run killed before its first epoch ended
    has no checkpoint and starts over. Raises CannotContinue before anything changes.
    """
    emit = on_event or (lambda event: None)
    own_store = store is None
    store = store or RunStore.open()
    try:
        record, config, resume, model = plan_continue(store, run_id, epochs)
    except BaseException:
        if own_store:
            store.close()
        raise
    done = resume.epoch if resume is not None else 0

    def start(store: RunStore, splits: Any, info: dict[str, Any]) -> tuple[int, Callable[[], RunFinished]]:
        checksums = record.dataset.get("checksums")
        if checksums and checksums != info["checksums"]:
            raise CannotContinue(f"run {run_id} was trained on other data files (checksums differ); "
                                 "it cannot be continued bit for bit")
        store.reopen_run(run_id, config, done)
        emit(RunStarted(run_id, config.to_dict(), info, info["train_size"], info["val_size"], info["test_size"]))
        return run_id, lambda: _train(config, store, run_id, splits, emit, cancel, resume, model,
                                      record.epochs[:done], pause)

    try:
        return _guarded(config, store, emit, cancel, start)
    finally:
        if own_store:
            store.close()


def plan_continue(store: RunStore, run_id: int, epochs: int | None) -> tuple[Any, RunConfig, TrainState | None, MLP | None]:
    """(record, config with the epochs to reach, checkpoint, last weights) of a run that can be
    continued; CannotContinue (a clear message) when it cannot. Changes nothing."""
    try:
        record = store.usable_run(run_id)
    except UnknownRunError:
        raise
    except StoreError as error:  # damaged
        raise CannotContinue(str(error)) from None
    if record.study_id is not None:  # continuing one trial (to more epochs) would change its study's results
        raise CannotContinue(f"run {run_id} is a trial of study {record.study_id}; "
                             f"`mnist-tui study resume {record.study_id}` reruns its unfinished trials")
    if record.status not in CONTINUABLE:
        raise CannotContinue(f"run {run_id} is {record.status}; only a {', '.join(CONTINUABLE[:-1])} "
                             f"or {CONTINUABLE[-1]} run can be continued")
    stored = record.run_config
    total = stored.train.epochs if epochs is None else epochs
    resume, model = _checkpoint(store, record)
    done = resume.epoch if resume is not None else 0
    if done > len(record.epochs):
        raise CannotContinue(f"run {run_id}: its model file is at epoch {done} but the store holds "
                             f"{len(record.epochs)} epochs; it cannot be continued")
    if total <= done:
        raise CannotContinue(f"--epochs: run {run_id} has {done} finished epoch{'s' if done != 1 else ''}; "
                             f"expected more than {done} in total (got {total}, nothing to train)")
    return record, replace(stored, train=replace(stored.train, epochs=total)), resume, model


def _checkpoint(store: RunStore, record: Any) -> tuple[TrainState | None, MLP | None]:
    """The run's checkpoint and last weights; (None, None) when no epoch finished (no model file)."""
    path = store.model_path(record.id)
    if record.model_path is None or not path.exists():
        if record.epochs:
            raise CannotContinue(f"run {record.id} has {len(record.epochs)} epochs but no model file "
                                 f"{path}; it cannot be continued")
        return None, None
    per_layer = make_optimizer(record.run_config.train.optimizer).per_layer
    try:
        saved, state = load_checkpoint(path, per_layer)
    except ModelFileError as error:
        raise CannotContinue(str(error)) from None
    if saved.model.config != record.run_config.model:
        raise CannotContinue(f"{path}: holds {saved.model.config.describe()}, but run {record.id} "
                             f"trains {record.run_config.model.describe()}")
    if state is None:
        raise CannotContinue(f"{path}: has no training checkpoint (written by an older version); "
                             "the run cannot be continued")
    return state, saved.model


def _guarded(config: RunConfig, store: RunStore | None, emit: Callable[[Event], None], cancel: Any,
             start: Callable[[RunStore, Any, dict[str, Any]], tuple[int, Callable[[], RunFinished]]]) -> RunFinished:
    """Load the data, `start` the run and train it; failures are recorded and returned, never raised."""
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

        try:
            run_id, train = start(store, splits, _dataset_info(dataset, splits))
        except CannotContinue as error:
            return _report(emit, RunFinished(None, "failed", str(error)))
        with blas_threads(), flush_subnormals():
            finished = train()
        return _report(emit, finished)
    except KeyboardInterrupt:
        if run_id is not None and store is not None:
            store.finish_run(run_id, "cancelled", "interrupted by Ctrl-C",
                             model_path=store.model_path(run_id) if store.model_path(run_id).exists() else None)
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
    resume: TrainState | None = None,
    model: MLP | None = None,
    previous: list[dict[str, Any]] | None = None,
    pause: threading.Event | None = None,
) -> RunFinished:
    """Train (or continue) the run; after every epoch its model file is rewritten atomically with
    the last and best weights and the checkpoint, so a killed run keeps its last finished epoch."""
    started = time.perf_counter()
    model = model or MLP(config.model, seed=config.train.seed)
    reporter = _BatchReporter(emit, config.train.batch_size, cancel, pause=pause)
    val = (splits.x_val, splits.y_val) if len(splits.y_val) else None
    inside = LayerStats(model, probe_images(val, (splits.x_train, splits.y_train)))
    trainer = Trainer(
        model,
        config.train,
        train=(splits.x_train, splits.y_train),
        val=(splits.x_val, splits.y_val) if len(splits.y_val) else None,
        test=(splits.x_test, splits.y_test),
        on_batch=reporter,
        resume=resume,
        layer_stats=inside,
    )
    reporter.trainer = trainer
    records: list[dict[str, Any]] = list(previous or [])
    model_path = store.model_path(run_id)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"run_id": run_id, "dataset": config.data.dataset, "config": config.to_dict()}

    def save(durable: bool) -> None:
        state = trainer.state()
        save_model(model_path, model, normalization=splits.normalization.to_dict(), checkpoint=state,
                   metadata={**metadata, "epoch": state.epoch, "best_epoch": state.best_epoch}, durable=durable)

    recorded = resume is not None
    for record in trainer.run():
        row = record.as_dict()
        store.add_epoch(run_id, row)
        save(durable=False)
        if not recorded:
            store.record_model(run_id)
            recorded = True
        records.append(row)
        emit(EpochDone(run_id, row, first_layer=model.weights[0].copy()))
        if cancel is not None and cancel.is_set():
            trainer.cancel()
    status, message = trainer.status, trainer.message
    if status == "diverged" or not records:
        # A diverged run's weights are unusable (a stalled one's last checkpoint is the dead
        # network itself), so it keeps no model file; a run cancelled before its first epoch has none.
        final = {"epochs": len(records)}
        store.finish_run(run_id, status, message, final=final)
        remove_quietly([model_path])
        return RunFinished(run_id, status, message, final=final)

    _fsync(model_path)  # the last epoch's checkpoint, made durable (a cancelled run's optimizer moved on since)
    seconds = time.perf_counter() - started + sum(e.get("seconds") or 0.0 for e in previous or [])  # a continued run's too
    final, confusion = _final_results(model, trainer, splits, records, seconds)
    store.finish_run(run_id, status, message, final=final, confusion=confusion, model_path=model_path)
    return RunFinished(run_id, status, message, final=final, confusion=confusion)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _final_results(model: MLP, trainer: Trainer, splits: Any, records: list[dict[str, Any]],
                   seconds: float) -> tuple[dict[str, Any], list[list[int]]]:
    """The run's reported test results and confusion matrix, and which weights they are of.

    With a validation set the reported weights are the best-validation epoch's (what early
    stopping promises to keep, chosen on validation, never on test); without one, the last
    epoch's. The test accuracy of both stored sets is kept too (test_acc_best, test_acc_last).
    """
    last = evaluate(model, splits.x_test, splits.y_test)
    best = None
    if trainer.best_layers is not None:
        best_model = MLP.from_params(model.config, [a for layer in trainer.best_layers for a in (layer[:-1], layer[-1])])
        best = evaluate(best_model, splits.x_test, splits.y_test)
    reported = best if best is not None else last
    final = _final_metrics(reported, records, seconds)
    final.update({
        "weights": "best" if best is not None else "last",
        "best_epoch": trainer.best_epoch,
        "test_acc_last": float(last.accuracy),
        "test_acc_best": None if best is None else float(best.accuracy),
    })
    return final, reported.confusion.tolist()


def _report(emit: Callable[[Event], None], finished: RunFinished) -> RunFinished:
    emit(finished)
    return finished
