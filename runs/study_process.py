"""Runs a study's client (`run_study`) in a child process, for the dashboard.

Why: the dashboard keeps its UI thread free (see runs.process for single runs); the child writes
the store and owns the study and its runs, spawns the workers, and streams every `StudyEvent`
back through a queue. `cancel()` asks it to cancel the study (running trials stop after their
batch and are recorded `cancelled`; the study stays resumable). The child is not a daemon
process because it must start worker processes of its own.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections.abc import Iterator
from typing import Any

from runs.study_runner import StudyOutcome

CONTEXT = mp.get_context("spawn")


def _child_main(study_id: int, workers: int | None, events: Any, cancel: Any) -> None:
    from runs.local_executor import LocalPoolExecutor  # imported in the child only
    from runs.store import RunStore
    from runs.study_runner import run_study

    try:
        with RunStore.open() as store:
            executor = LocalPoolExecutor(workers)
            try:
                outcome = run_study(store, study_id, executor, on_event=events.put, cancel=cancel)
            finally:
                executor.close()
        events.put(outcome)
    except BaseException as error:  # the parent must still hear how it ended
        events.put(StudyOutcome(study_id, "failed", message=f"study process: {type(error).__name__}: {error}"))
        raise


class StudyProcess:
    """`start()`, iterate `events()` (StudyEvents, then one StudyOutcome), `cancel()` at any time."""

    def __init__(self, study_id: int, workers: int | None = None) -> None:
        self.study_id = study_id
        self._events = CONTEXT.Queue()
        self._cancel = CONTEXT.Event()
        self._process = CONTEXT.Process(target=_child_main, args=(study_id, workers, self._events, self._cancel),
                                        name="mnist-tui-study", daemon=False)

    def start(self) -> None:
        self._process.start()

    def cancel(self) -> None:
        self._cancel.set()

    def events(self, poll_seconds: float = 0.1) -> Iterator[Any]:
        """Yield StudyEvents until the StudyOutcome (also yielded); a child that dies yields a failed outcome."""
        while True:
            try:
                item = self._events.get(timeout=poll_seconds)
            except queue.Empty:
                if self._process.is_alive():
                    continue
                try:
                    item = self._events.get(timeout=poll_seconds)
                except queue.Empty:
                    yield StudyOutcome(self.study_id, "interrupted",
                                       message=f"the study process ended unexpectedly (exit code {self._process.exitcode})")
                    return
            yield item
            if isinstance(item, StudyOutcome):
                self._process.join(timeout=30)
                return

    def join(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode
