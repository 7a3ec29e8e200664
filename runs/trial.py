"""One trial of a study, as a worker runs it: data, model, training, evaluation — without the run store.

Workers never open the store (only the study's client process writes it, see runs.study_runner),
so everything a run records travels back as events: `RunStarted` (the data provenance, sizes),
one `EpochDone` per epoch, throttled `BatchProgress`, and one final `RunFinished` with the final
metrics, the confusion matrix and the model file as bytes (`RunFinished.model_npz`), so a worker
needs no filesystem shared with the client. Every event has `run_id=None`.

Data: `dataset` is the object `data.loader.load_dataset` returns; when None the worker loads the
dataset from its own sources (data folder, cache, download), and `load_dataset` verifies the sha256
of every file against the registry either way, so a trial never trains on unverified data.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from data.errors import DataError
from data.loader import load_dataset
from data.splits import make_splits
from nn_core.fpenv import flush_subnormals
from nn_core.layer_stats import LayerStats, probe_images
from nn_core.metrics import evaluate
from nn_core.model import MLP
from nn_core.model_io import save_model
from nn_core.threads import blas_threads
from nn_core.train import Trainer
from runs.config import RunConfig
from runs.events import EpochDone, Event, RunFinished, RunStarted
from runs.service import _BatchReporter, _dataset_info, _final_results


def run_trial(
    config: dict[str, Any],
    emit: Callable[[Event], None],
    cancel: Any = None,
    dataset: Any = None,
    progress_interval: float = 0.5,
) -> RunFinished:
    """Train one trial from its RunConfig dict, emitting events; never raises for a failure of the run.

    Args:
        config: `RunConfig.to_dict()` of the trial.
        emit: called with each event (RunStarted, BatchProgress, EpochDone, then RunFinished).
        cancel: anything with `is_set()` (threading/multiprocessing Event); when set, training stops
            after the current batch and the trial ends `cancelled`.
        dataset: a loaded `data.loader.Dataset` (checked) or None to load one here.
        progress_interval: at most one BatchProgress per this many seconds.

    Returns:
        The RunFinished also emitted last: status completed, cancelled, diverged or failed.
    """
    try:
        finished = _run(RunConfig.from_dict(config), emit, cancel, dataset, progress_interval)
    except Exception as error:  # noqa: BLE001 - any failure of a trial is reported, never raised
        finished = RunFinished(None, "failed", f"{type(error).__name__}: {error}")
    emit(finished)
    return finished


def _run(config: RunConfig, emit: Callable[[Event], None], cancel: Any, dataset: Any,
         progress_interval: float) -> RunFinished:
    try:
        if dataset is None:
            dataset = load_dataset(config.data.dataset, config.data.data_dir)
        elif dataset.spec.name != config.data.dataset:
            raise DataError(f"the worker was given {dataset.spec.name}, the trial needs {config.data.dataset}")
        splits = make_splits(dataset, val_size=config.data.val_size, limit=config.data.limit,
                             seed=config.train.seed, normalization=config.data.normalization)
    except DataError as error:
        return RunFinished(None, "failed", str(error))
    if cancel is not None and cancel.is_set():
        return RunFinished(None, "cancelled", "cancelled before training started")
    info = _dataset_info(dataset, splits)
    emit(RunStarted(None, config.to_dict(), info, info["train_size"], info["val_size"], info["test_size"]))  # type: ignore[arg-type]
    with blas_threads(), flush_subnormals():
        return _train(config, splits, emit, cancel, progress_interval)


def _train(config: RunConfig, splits: Any, emit: Callable[[Event], None], cancel: Any,
           progress_interval: float) -> RunFinished:
    started = time.perf_counter()
    model = MLP(config.model, seed=config.train.seed)
    reporter = _BatchReporter(emit, config.train.batch_size, cancel, interval=progress_interval)
    val = (splits.x_val, splits.y_val) if len(splits.y_val) else None
    trainer = Trainer(
        model, config.train, train=(splits.x_train, splits.y_train),
        val=val,
        test=(splits.x_test, splits.y_test), on_batch=reporter,
        layer_stats=LayerStats(model, probe_images(val, (splits.x_train, splits.y_train))),
    )
    reporter.trainer = trainer
    records: list[dict[str, Any]] = []
    for record in trainer.run():
        row = record.as_dict()
        records.append(row)
        emit(EpochDone(None, row))  # type: ignore[arg-type]
        if cancel is not None and cancel.is_set():
            trainer.cancel()
    if trainer.status == "diverged":
        return RunFinished(None, "diverged", trainer.message, final={"epochs": len(records)})
    # Reported like every run: the best-validation weights' test accuracy (runs.service._final_results).
    final, confusion = _final_results(model, trainer, splits, records, time.perf_counter() - started)
    with tempfile.TemporaryDirectory(prefix="mnist-tui-trial-") as folder:
        path = Path(folder) / "model.npz"
        save_model(path, model, normalization=splits.normalization.to_dict(),
                   metadata={"dataset": config.data.dataset, "config": config.to_dict()})
        model_npz = path.read_bytes()
    return RunFinished(None, trainer.status, trainer.message, final=final, confusion=confusion, model_npz=model_npz)
