"""Wall time of one study three ways: trials one after another, the local pool, a Dask LocalCluster.

    .venv/bin/python bench/bench_study.py                      # the original preset, 5 epochs, batch 32
    .venv/bin/python bench/bench_study.py --epochs 1 --limit 2000 --seeds 1   # a quick smoke run

Run it on an idle machine: the three rows share the cores with nothing else. The same trials
(`--preset original`: 0/1/2 hidden layers x SGD/Momentum x ReLU/sigmoid, `--seeds` each) run:

- one after another: `runs.trial.run_trial` in this process, dataset loaded once, no store — the
  reference, pure training work with no parallel machinery;
- local pool: `run_study` on `LocalPoolExecutor(--workers)`, recording into a temporary store;
- Dask: `run_study` on a `DaskExecutor` over `LocalCluster(--workers)` (worker processes, one
  thread each), recording into another temporary store.

Columns: start-up (constructing the executor: the cluster starts a scheduler and waits for its
workers; the pool starts its processes in the background, so part of its start-up falls into its
trial time), the trials' wall time, and the total — what a user waits, and what the ratios compare
(against the sequential row and the pool). Then the client's cost per epoch event, in CPU time of
the thread doing it (`time.thread_time`: waiting is not cost): "event ms" is the executor's
`events()` per event it returns (for Dask plus its event-loop handler; Dask's own message decoding
is not in it), "commit ms" the runner's SQLite commit of one epoch row, "per epoch ms" their sum.
"all CPU ms" is the whole process's CPU time during the study per epoch event: every per-trial
cost too (creating runs, writing model files, for Dask the scheduler, which a LocalCluster runs
inside the client process, and the dataset scatter), so a loose upper bound. The targets (issue
8): pool <= 0.55x sequential, Dask <= 1.10x pool, < 1 ms per epoch event. Last, it checks that
the pool and Dask recorded the same numbers for every trial (exit 1 if not).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from data.loader import load_dataset
from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.dask_executor import DaskExecutor
from runs.events import EpochDone
from runs.local_executor import LocalPoolExecutor
from runs.store import RunStore
from runs.study_runner import StudyEvent, run_study
from runs.study_spec import StudySpec, Trial, preset
from runs.study_store import create_study, study_runs
from runs.trial import run_trial


def build_spec(args: argparse.Namespace) -> StudySpec:
    base = RunConfig(
        data=DataConfig(limit=args.limit),
        train=TrainConfig(epochs=args.epochs, batch_size=args.batch_size),
    )
    return preset("original", base, seeds=list(range(args.seeds)))


def sequential(trials: list[Trial]) -> tuple[float, int]:
    """(wall seconds, epoch events) of every trial run here, one after another."""
    datasets: dict[tuple[str, str | None], Any] = {}
    epochs = 0

    def count(event: Any) -> None:
        nonlocal epochs
        epochs += isinstance(event, EpochDone)

    started = time.perf_counter()
    for trial in trials:
        where = (trial.config.data.dataset, trial.config.data.data_dir)
        if where not in datasets:
            datasets[where] = load_dataset(*where)
        finished = run_trial(trial.config.to_dict(), count, dataset=datasets[where])
        if finished.status != "completed":
            sys.exit(f"trial {trial.key} ended {finished.status}: {finished.message}")
    return time.perf_counter() - started, epochs


class TimedExecutor:
    """Delegates to an executor, adding up the CPU time of its `events()` calls (the client's thread).

    `time.thread_time` counts only this thread's CPU, so the time spent waiting for events is not cost.
    """

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.workers = executor.workers
        self.seconds = 0.0
        self.events_seen = 0

    def submit(self, trial: Trial) -> None:
        self.executor.submit(trial)

    def events(self, timeout: float) -> list[Any]:
        started = time.thread_time()
        out = self.executor.events(timeout)
        self.seconds += time.thread_time() - started
        self.events_seen += len(out)
        return out

    def cancel(self) -> None:
        self.executor.cancel()

    def close(self) -> None:
        self.executor.close()


def on_study(spec: StudySpec, home: Path, make_executor: Callable[[], Any]) -> dict[str, Any]:
    """Start-up and wall seconds, client cost per event and the recorded numbers of one study run."""
    started = time.perf_counter()
    executor = TimedExecutor(make_executor())
    startup = time.perf_counter() - started
    epochs = 0
    commit = [0.0]

    def count(event: StudyEvent) -> None:
        nonlocal epochs
        epochs += isinstance(event.event, EpochDone)

    try:
        with RunStore.open(home / "runs.sqlite3") as store:
            add_epoch = store.add_epoch

            def timed_add_epoch(run_id: int, record: dict[str, Any]) -> None:
                begun = time.thread_time()
                add_epoch(run_id, record)
                commit[0] += time.thread_time() - begun

            store.add_epoch = timed_add_epoch  # type: ignore[method-assign]
            study_id = create_study(store, spec, len(spec.trials()))
            cpu, started = time.process_time(), time.perf_counter()
            outcome = run_study(store, study_id, executor, on_event=count)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            if outcome.status != "completed":
                sys.exit(f"the study ended {outcome.status}: {outcome.message} {outcome.counts}")
            numbers = {r.trial_key: [(e["val_acc"], e["train_loss"]) for e in r.epochs] for r in study_runs(store, study_id)}
        receive = getattr(executor.executor, "cost", None)  # Dask: the loop thread's handler
    finally:
        executor.close()
    per_event = (executor.seconds + (receive.seconds if receive else 0.0)) / max(executor.events_seen, 1)
    return {
        "startup": startup, "wall": wall, "epochs": epochs, "event_ms": 1000 * per_event,
        "commit_ms": 1000 * commit[0] / max(epochs, 1), "client_ms": 1000 * cpu / max(epochs, 1),
        "numbers": numbers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="training subset (default: all 55,000)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per configuration (the preset's 3)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    spec = build_spec(args)
    trials = spec.trials()
    import distributed
    import numpy

    print(f"original preset: {len(trials)} trials, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"limit {args.limit or 'all'}, {args.workers} workers, {os.cpu_count()} cores; "
          f"numpy {numpy.__version__}, dask distributed {distributed.__version__}")
    seq_wall, seq_epochs = sequential(trials)
    with tempfile.TemporaryDirectory(prefix="bench-study-") as tmp:
        pool = on_study(spec, Path(tmp) / "pool", lambda: LocalPoolExecutor(workers=args.workers))
        dask = on_study(spec, Path(tmp) / "dask", lambda: DaskExecutor.start_local(args.workers))

    seq_total = seq_wall
    totals = {name: row["startup"] + row["wall"] for name, row in (("pool", pool), ("dask", dask))}
    print(f"\n{'executor':<24}{'start-up s':>11}{'trials s':>10}{'total s':>9}{'x seq':>8}{'x pool':>8}"
          f"{'event ms':>10}{'commit ms':>11}{'per epoch ms':>14}{'all CPU ms':>12}")
    print(f"{'one after another':<24}{'-':>11}{seq_wall:>10.1f}{seq_total:>9.1f}{1:>8.2f}"
          f"{seq_total / totals['pool']:>8.2f}")
    for name, key, row in ((f"local pool ({args.workers})", "pool", pool), (f"Dask LocalCluster ({args.workers})", "dask", dask)):
        print(f"{name:<24}{row['startup']:>11.1f}{row['wall']:>10.1f}{totals[key]:>9.1f}{totals[key] / seq_total:>8.2f}"
              f"{totals[key] / totals['pool']:>8.2f}{row['event_ms']:>10.3f}{row['commit_ms']:>11.3f}"
              f"{row['event_ms'] + row['commit_ms']:>14.3f}{row['client_ms']:>12.1f}")
    print(f"\nepoch events: sequential {seq_epochs}, pool {pool['epochs']}, Dask {dask['epochs']}")
    same = pool["numbers"] == dask["numbers"]
    print(f"pool and Dask recorded the same numbers for every trial: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
