"""A study run from the dashboard: its client in a child process (runs.study_process), followed from a thread.

The child claims the study, runs the local worker pool and writes the store; a Textual thread
worker of the dashboard only creates the study (or finds it by its spec) and relays the child's
events. So the dashboard's own process does no training and no store writes while a study runs,
and its keys stay as quick as when idle. `cancel()` may be called from the UI thread at any time:
running trials stop after their batch and are recorded `cancelled`; the study stays resumable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from runs.store import RunStore
from runs.study_process import StudyProcess
from runs.study_runner import StudyEvent, StudyOutcome
from runs.study_spec import StudySpec
from runs.study_store import create_study, find_study_by_spec


class StudyJob:
    """Run study `study_id`, or the study of `spec` (found by its spec, or created), on `workers` processes."""

    def __init__(self, store: RunStore, *, spec: StudySpec | None = None, study_id: int | None = None,
                 workers: int | None = None) -> None:
        if (spec is None) == (study_id is None):
            raise ValueError("give a spec or a study id")
        self.store = store
        """The dashboard's own store connection (thread-safe). Not a second one: opening the store file
        again in this process and closing it would drop this process's SQLite locks (POSIX locks are
        per process), which lets the study's process corrupt what this one reads."""
        self.spec = spec
        self.study_id = study_id
        """The study's id; set once it exists in the store (before the first event)."""
        self.workers = workers
        self._cancel = threading.Event()
        self._process: StudyProcess | None = None
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        with self._lock:
            self._cancel.set()
            if self._process is not None:
                self._process.cancel()

    def execute(self, on_started: Callable[[int], None], on_event: Callable[[StudyEvent], None]) -> StudyOutcome:
        """Blocks until the study ends; `on_started(study_id)` is called once the study is in the store."""
        if self.study_id is None:
            assert self.spec is not None
            existing = find_study_by_spec(self.store, self.spec)
            self.study_id = existing.id if existing else create_study(self.store, self.spec, self.spec.count())
        process = StudyProcess(self.study_id, self.workers)
        with self._lock:
            self._process = process
            if self._cancel.is_set():
                process.cancel()  # cancelled before it started: the child ends at once, recorded cancelled
        process.start()
        on_started(self.study_id)
        for item in process.events():
            if isinstance(item, StudyOutcome):
                return item
            on_event(item)
        raise RuntimeError("the study process ended without an outcome")
