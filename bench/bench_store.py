"""Run-store and service costs: what recording a run adds on top of training it.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_store.py [--runs 500] [--limit 20000]

Prints two tables, all in one process with a temporary store:
1. store operations: committing one epoch (fsync'd WAL commit), `data_version()` (the dashboard's
   1 s poll), opening a store of --runs runs x 10 epochs (integrity check included) and
   `list_runs()` over it;
2. service overhead: `execute_run` (data, splits, model, Trainer, events, store, evaluation,
   model file) against the same work done bare (no store, no events), same config and seed;
   ratio service / bare (median and best of --repeats each, alternating order; the best is
   the steadier figure on a shared machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.loader import load_dataset  # noqa: E402
from data.splits import make_splits  # noqa: E402
from nn_core.config import TrainConfig  # noqa: E402
from nn_core.metrics import evaluate  # noqa: E402
from nn_core.model import MLP  # noqa: E402
from nn_core.model_io import save_model  # noqa: E402
from nn_core.threads import blas_threads  # noqa: E402
from nn_core.fpenv import flush_subnormals  # noqa: E402
from nn_core.train import Trainer  # noqa: E402
from runs.config import DataConfig, RunConfig  # noqa: E402
from runs.service import execute_run  # noqa: E402
from runs.store import RunStore  # noqa: E402

RECORD = {"epoch": 1, "train_loss": 0.3, "train_acc": 0.9, "val_loss": 0.2, "val_acc": 0.94,
          "test_loss": 0.2, "test_acc": 0.94, "lr": 0.03, "seconds": 1.0}


def _timed(fn, repeats: int) -> float:
    """Median seconds of `fn()` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def store_table(folder: Path, runs: int) -> list[tuple[str, float, str]]:
    config = RunConfig()
    with RunStore.open(folder / "ops.sqlite3") as store:
        run_id = store.create_run(config, {})
        epoch = iter(range(1, 10**6))
        commit = _timed(lambda: store.add_epoch(run_id, {**RECORD, "epoch": next(epoch)}), 200)
        poll = _timed(store.data_version, 2000)
    path = folder / "big.sqlite3"
    with RunStore.open(path) as store:
        for _ in range(runs):
            rid = store.create_run(config, {"checksums": {"a": "0" * 64}})
            for e in range(1, 11):
                store.add_epoch(rid, {**RECORD, "epoch": e})
            store.finish_run(rid, "completed", final={"test_acc": 0.97}, confusion=[[0] * 10] * 10)
    opened = _timed(lambda: RunStore.open(path).close(), 10)
    with RunStore.open(path) as store:
        listed = _timed(store.list_runs, 10)
    size = path.stat().st_size / 2**20
    return [
        ("add_epoch (one committed epoch)", commit * 1e3, "ms"),
        ("data_version() poll", poll * 1e6, "us"),
        (f"open a store of {runs} runs x 10 epochs ({size:.1f} MiB)", opened * 1e3, "ms"),
        (f"list_runs() of {runs} runs with epochs", listed * 1e3, "ms"),
    ]


def bare_run(config: RunConfig, folder: Path) -> float:
    """The same work as execute_run without the store and events; returns its test accuracy."""
    dataset = load_dataset(config.data.dataset)
    splits = make_splits(dataset, val_size=config.data.val_size, limit=config.data.limit,
                         seed=config.train.seed, normalization=config.data.normalization)
    model = MLP(config.model, seed=config.train.seed)
    with blas_threads(), flush_subnormals():
        trainer = Trainer(model, config.train, train=(splits.x_train, splits.y_train),
                          val=(splits.x_val, splits.y_val), test=(splits.x_test, splits.y_test))
        for _ in trainer.run():
            pass
    evaluation = evaluate(model, splits.x_test, splits.y_test)
    save_model(folder / "bare.npz", model, normalization=splits.normalization.to_dict())
    return evaluation.accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--limit", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("run store operations (median)")
        for name, value, unit in store_table(folder, args.runs):
            print(f"  {name:<52} {value:10.3f} {unit}")

        config = RunConfig(data=DataConfig(limit=args.limit), train=TrainConfig(epochs=args.epochs))
        load_dataset("mnist")  # warm the decoded-array cache for both sides
        events = []
        with RunStore.open(folder / "service.sqlite3") as store:
            service, bare = [], []
            for i in range(args.repeats):
                for side in ((0, 1) if i % 2 == 0 else (1, 0)):
                    start = time.perf_counter()
                    if side == 0:
                        finished = execute_run(config, store=store, on_event=events.append)
                        acc_service = finished.final["test_acc"]
                        service.append(time.perf_counter() - start)
                    else:
                        acc_bare = bare_run(config, folder)
                        bare.append(time.perf_counter() - start)
        s, b = statistics.median(service), statistics.median(bare)
        print(f"\nservice overhead: {args.limit} images, {args.epochs} epochs, {config.model.describe()}, "
              f"batch {config.train.batch_size} ({args.repeats} runs each, alternating)")
        print(f"  {'':<32} {'median':>8}   {'best':>8}")
        print(f"  {'execute_run (store + events)':<32} {s:8.3f} s {min(service):8.3f} s   test acc {acc_service:.4f}")
        print(f"  {'bare (same work, no store)':<32} {b:8.3f} s {min(bare):8.3f} s   test acc {acc_bare:.4f}")
        print(f"  {'ratio service / bare':<32} {s / b:8.3f}   {min(service) / min(bare):8.3f}"
              f"   ({len(events) // args.repeats} events per run)")


if __name__ == "__main__":
    main()
