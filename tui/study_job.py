"""A study run from the dashboard: the study runner driven from a Textual thread worker.

The trials train in the executor's worker processes; this thread only records their events (the
runner writes the store through its own connection, opened here, so the UI's reads never wait on
the lock of a connection that is writing) and passes each event on. `cancel()` may be called from
the UI thread at any time: running trials stop after their batch and are recorded `cancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from runs.local_executor import LocalPoolExecutor
from runs.store import RunStore
from runs.study_executor import TrialExecutor
from runs.study_runner import StudyEvent, StudyOutcome, run_study
from runs.study_spec import StudySpec
from runs.study_store import create_study, find_study_by_spec


class StudyJob:
    """Run study `study_id`, or the study of `spec` (found by its spec, or created), on `executor()`."""

    def __init__(
        self,
        store_path: Path,
        *,
        spec: StudySpec | None = None,
        study_id: int | None = None,
        executor: Callable[[], TrialExecutor] = LocalPoolExecutor,
    ) -> None:
        if (spec is None) == (study_id is None):
            raise ValueError("give a spec or a study id")
        self.store_path = store_path
        self.spec = spec
        self.study_id = study_id
        """The study's id; set once it exists in the store (before the first event)."""
        self._executor = executor
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def execute(self, on_started: Callable[[int], None], on_event: Callable[[StudyEvent], None]) -> StudyOutcome:
        """Blocks until the study ends; `on_started(study_id)` is called once the study is in the store."""
        store = RunStore.open(self.store_path)
        try:
            if self.study_id is None:
                assert self.spec is not None
                existing = find_study_by_spec(store, self.spec)
                self.study_id = existing.id if existing else create_study(store, self.spec, self.spec.count())
            on_started(self.study_id)
            executor = self._executor()
            try:
                return run_study(store, self.study_id, executor, on_event=on_event, cancel=self._cancel)
            finally:
                executor.close()
        finally:
            store.close()
