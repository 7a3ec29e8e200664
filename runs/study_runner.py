"""The client side of a study: runs its missing trials on an executor and records everything.

Only this process writes the run store (workers never open it). For each trial it:
- creates the trial's run when the worker's `RunStarted` arrives (owned by this process, so if it is
  killed, the next open of the store marks those runs `interrupted`);
- commits each `EpochDone` as it arrives, so a kill loses at most the epochs in flight;
- records the `RunFinished` (final metrics, confusion, and the model file the worker sent as bytes).

Resume: trials whose run is completed or diverged are skipped; interrupted, failed and cancelled
ones are rerun, replacing their earlier attempt (runs.study_store explains why this never records a
trial twice). A trial whose worker died is rerun once within the same call, then left
`interrupted` for the next resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runs.events import Event
from runs.store import RunStore
from runs.study_executor import TrialExecutor


@dataclass(frozen=True)
class StudyProgress:
    total: int
    done: int
    """Trials finished (any status) including those skipped as already done."""
    running: int
    queued: int
    eta_seconds: float | None


@dataclass(frozen=True)
class StudyEvent:
    """An event of one trial (run_id set as soon as its run exists) and the study's progress after it."""

    trial_key: str | None
    run_id: int | None
    event: Event | None
    progress: StudyProgress


@dataclass(frozen=True)
class StudyOutcome:
    study_id: int
    status: str
    """completed, cancelled, interrupted (some trials are left to resume) or failed."""
    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    message: str = ""


def run_study(
    store: RunStore,
    study_id: int,
    executor: TrialExecutor,
    on_event: Callable[[StudyEvent], None] | None = None,
    cancel: Any = None,
) -> StudyOutcome:
    """Run every trial of study `study_id` not yet done on `executor`, recording it in `store`.

    Args:
        on_event: called in this thread for each trial event and progress change.
        cancel: a threading.Event; when set, running trials stop after their batch (recorded
            `cancelled`), queued ones never start, and the study ends `cancelled` (resumable).
    """
    raise NotImplementedError
