"""Runs trials on a pool of worker processes on this machine: the default executor of a study.

One worker per core, each training one trial at a time with one BLAS thread (nn_core.threads): on
small networks that is faster than sharing threads, and N trials keep N cores busy. Processes are
started with 'spawn' because the dashboard has threads (fork would copy locks they hold).

Each worker has its own pipe: the client sends it one trial at a time and it sends back every event
as it happens (epochs arrive live). A worker killed mid-trial breaks only its own pipe: the client
sees its process end, reports that trial `interrupted` and starts a fresh worker in its place.
Workers ignore SIGINT: a Ctrl-C in the terminal reaches the whole process group, and it is the
client that decides what it means (cancel the study), not each worker.

Workers load the dataset from this machine's sources once and keep it for their later trials
(`load_dataset` verifies every file's sha256).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from multiprocessing.connection import Connection, wait
from typing import Any

from runs.events import RunFinished
from runs.study_executor import TrialEvent
from runs.study_spec import Trial

CONTEXT = mp.get_context("spawn")


def _worker_main(conn: Connection, cancel: Any) -> None:
    """Run trials sent on `conn` until it sends None or closes; every event goes back on `conn`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from data.loader import load_dataset  # imported in the worker only
    from runs.trial import run_trial

    datasets: dict[tuple[str, str | None], Any] = {}
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        key, config = task
        data = config["data"]
        where = (data["dataset"], data.get("data_dir"))
        if where not in datasets:
            try:
                datasets[where] = load_dataset(*where)
            except Exception:  # noqa: BLE001 - run_trial loads again and reports the error as the trial's
                datasets[where] = None
        run_trial(config, lambda event: conn.send(TrialEvent(key, event)), cancel=cancel, dataset=datasets[where])
        if datasets[where] is None:
            del datasets[where]


class _Worker:
    def __init__(self, cancel: Any) -> None:
        self.conn, child = CONTEXT.Pipe(duplex=True)
        self.process = CONTEXT.Process(target=_worker_main, args=(child, cancel), name="mnist-tui-study-worker",
                                       daemon=True)
        self.process.start()
        child.close()
        self.trial: str | None = None


def default_workers() -> int:
    """One worker per core this process may use (its CPU affinity, where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every OS
        return os.cpu_count() or 1


class LocalPoolExecutor:
    """`workers` processes (default: one per core); see runs.study_executor for the protocol."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._cancel = CONTEXT.Event()
        self._pending: deque[Trial] = deque()
        self._pool = [_Worker(self._cancel) for _ in range(self.workers)]
        self._closed = False

    def submit(self, trial: Trial) -> None:
        self._pending.append(trial)
        self._dispatch()

    def _dispatch(self) -> None:
        for i, worker in enumerate(self._pool):
            if worker.trial is None and self._pending and not self._cancel.is_set():
                trial = self._pending.popleft()
                try:
                    worker.conn.send((trial.key, trial.config.to_dict()))
                except OSError:  # the idle worker died: replace it, the trial waits for the next free one
                    self._pending.appendleft(trial)
                    worker.conn.close()
                    self._pool[i] = _Worker(self._cancel)
                    continue
                worker.trial = trial.key

    def events(self, timeout: float) -> list[TrialEvent]:
        self._dispatch()
        busy = [w for w in self._pool if w.trial is not None]
        if not busy:
            return []
        out: list[TrialEvent] = []
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        for i, worker in enumerate(self._pool):
            if worker.trial is None or (worker.conn not in ready and worker.process.sentinel not in ready):
                continue
            out.extend(self._drain(worker))
            if worker.trial is not None and not worker.process.is_alive():
                out.extend(self._drain(worker))
                if worker.trial is not None:
                    code = worker.process.exitcode
                    out.append(TrialEvent(worker.trial, RunFinished(
                        None, "interrupted", f"its worker process ended unexpectedly (exit code {code})")))
                    worker.trial = None
                worker.conn.close()
                self._pool[i] = _Worker(self._cancel)
        self._dispatch()
        return out

    def _drain(self, worker: _Worker) -> list[TrialEvent]:
        out = []
        try:
            while worker.conn.poll():
                event = worker.conn.recv()
                out.append(event)
                if isinstance(event.event, RunFinished):
                    worker.trial = None
        except (EOFError, OSError):
            pass
        return out

    def cancel(self) -> None:
        self._cancel.set()
        self._pending.clear()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for worker in self._pool:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._pool:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=5)
            worker.conn.close()
