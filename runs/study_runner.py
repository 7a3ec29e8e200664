"""The client side of a study: runs its missing trials on an executor and records everything.

Only this process writes the run store (workers never open it). For each trial it:
- creates the trial's run when the worker's `RunStarted` arrives (owned by this process, so if it is
  killed, the next open of the store marks those runs `interrupted`);
- commits each `EpochDone` as it arrives, so a kill loses at most the epochs in flight;
- records the `RunFinished` (final metrics, confusion, and the model file the worker sent as bytes).

Resume: trials whose run is completed or diverged are skipped; interrupted, failed and cancelled
ones are rerun, replacing their earlier attempt (runs.study_store explains why this never records a
trial twice). A trial whose worker died is rerun once within the same call (a crash of one worker
should not cost the study a trial), then left `interrupted` for the next resume.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from nn_core.model_io import ModelFileError, load_model
from runs.events import EpochDone, Event, RunFinished, RunStarted
from runs.store import RunStore
from runs.study_estimate import PER_TRIAL_S, seconds_per_epoch, trial_seconds
from runs.study_executor import TrialExecutor
from runs.study_spec import Trial
from runs.study_store import FINAL_STATUSES, claim_study, finish_study, start_trial_run, study_runs

MAX_MODEL_BYTES = 512 * 1024 * 1024
"""A model file sent back by a worker larger than this is refused before it is written."""
RETRIES_AFTER_WORKER_DEATH = 1


@dataclass(frozen=True)
class StudyProgress:
    total: int
    done: int
    """Trials finished (any status), including those skipped as already done."""
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


class _Tracker:
    """Which trials wait, run and ended, and the ETA — kept incrementally so each event costs O(1).

    The ETA is the estimated seconds of the epochs left (runs.study_estimate) scaled by measured /
    estimated seconds of the epochs done so far, divided by the number of workers.
    """

    def __init__(self, trials: list[Trial], skipped: int, workers: int) -> None:
        self.trials = {t.key: t for t in trials}
        self.per_epoch = {t.key: seconds_per_epoch(t.config) for t in trials}
        self.waiting: dict[str, None] = dict.fromkeys(self.trials)
        self.total = len(trials) + skipped
        self.done = skipped
        self.running: dict[str, int | None] = {}
        self.epochs_done: dict[str, int] = {}
        self.workers = max(1, workers)
        self.left = sum(self._whole(t.key) for t in trials)
        self.measured = 0.0
        self.estimated = 0.0
        self.early_failures: list[str] = []
        """Trials that ended before training started (not recorded as runs; a resume retries them)."""

    def _whole(self, key: str) -> float:
        """Estimated seconds of a trial not started: its epochs and its overhead."""
        return self.trials[key].config.train.epochs * self.per_epoch[key] + PER_TRIAL_S

    def progress(self) -> StudyProgress:
        queued = self.total - self.done - len(self.running)
        scale = self.measured / self.estimated if self.estimated > 0 else 1.0
        left = max(0.0, self.left) if self.running or self.waiting else 0.0  # no float residue at the end
        return StudyProgress(self.total, self.done, len(self.running), queued, left * scale / self.workers)

    def started(self, key: str, run_id: int) -> None:
        self.waiting.pop(key, None)
        self.running[key] = run_id
        self.epochs_done[key] = 0

    def epoch(self, key: str, seconds: object) -> None:
        self.epochs_done[key] = self.epochs_done.get(key, 0) + 1
        self.left -= self.per_epoch[key]
        if isinstance(seconds, (int, float)) and seconds > 0:
            self.measured += float(seconds)
            self.estimated += self.per_epoch[key]

    def finished(self, key: str) -> None:
        self.waiting.pop(key, None)
        self.running.pop(key, None)
        self.left -= self._whole(key) - self.epochs_done.get(key, 0) * self.per_epoch[key]
        self.epochs_done[key] = self.trials[key].config.train.epochs
        self.done += 1

    def requeued(self, key: str) -> None:
        self.done -= 1
        self.waiting[key] = None
        self.epochs_done[key] = 0
        self.left += self._whole(key)

    def drop_waiting(self) -> None:
        for key in self.waiting:
            self.left -= self._whole(key)
        self.waiting.clear()


def _write_model(store: RunStore, run_id: int, payload: bytes | None) -> Path | None:
    """Write the worker's model bytes as models/<run_id>.npz (atomically), if they are a valid model file."""
    if payload is None or len(payload) > MAX_MODEL_BYTES:
        return None
    path = store.model_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        load_model(tmp)  # refuses anything that is not a model file of ours
        os.replace(tmp, path)
    except (ModelFileError, OSError):
        Path(tmp).unlink(missing_ok=True)
        return None
    return path


def pending_trials(store: RunStore, study_id: int, trials: list[Trial]) -> tuple[list[Trial], int]:
    """(trials still to run, how many are already final) from the study's stored runs."""
    final = {r.trial_key for r in study_runs(store, study_id) if r.status in FINAL_STATUSES}
    todo = [t for t in trials if t.key not in final]
    return todo, len(trials) - len(todo)


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
    study = claim_study(store, study_id)
    trials = study.expand_trials()
    todo, skipped = pending_trials(store, study_id, trials)
    tracker = _Tracker(todo, skipped, executor.workers)
    notify = on_event or (lambda event: None)
    counts: dict[str, int] = {}
    retries: dict[str, int] = {}
    cancelled = False
    try:
        # Longest first (by the estimate): the last trials to finish are then short ones, so no
        # worker sits idle for long at the end while another finishes a slow trial alone.
        for trial in sorted(todo, key=lambda t: -trial_seconds(t.config)):
            executor.submit(trial)
        notify(StudyEvent(None, None, None, tracker.progress()))
        while tracker.waiting or tracker.running:
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                executor.cancel()
                tracker.drop_waiting()  # they never started: a resume runs them
                notify(StudyEvent(None, None, None, tracker.progress()))
                if not tracker.running:
                    break
            for item in executor.events(0.2):
                status = _handle(store, study_id, tracker, item.trial_key, item.event, notify)
                if status is None:
                    continue
                if status == "interrupted" and not cancelled and retries.get(item.trial_key, 0) < RETRIES_AFTER_WORKER_DEATH:
                    retries[item.trial_key] = retries.get(item.trial_key, 0) + 1
                    tracker.requeued(item.trial_key)
                    executor.submit(tracker.trials[item.trial_key])
                    continue
                counts[status] = counts.get(status, 0) + 1
    except KeyboardInterrupt:
        finish_study(store, study_id, "cancelled", "aborted by a second Ctrl-C")
        raise
    except BaseException as error:
        finish_study(store, study_id, "failed", f"{type(error).__name__}: {error}")
        raise
    open_trials = sum(n for s, n in counts.items() if s not in FINAL_STATUSES)
    if cancelled:
        status, message = "cancelled", "cancelled; `mnist-tui study resume` reruns the trials it did not finish"
    elif open_trials:
        status, message = "interrupted", f"{open_trials} trial(s) did not finish; `mnist-tui study resume` reruns them"
        if tracker.early_failures:
            message += ". First failure before training: " + tracker.early_failures[0]
    else:
        status, message = "completed", ""
    finish_study(store, study_id, status, message)
    return StudyOutcome(study_id, status, counts, skipped, message)


def _handle(store: RunStore, study_id: int, tracker: _Tracker, key: str, event: Event,
            notify: Callable[[StudyEvent], None]) -> str | None:
    """Record one trial event; returns the trial's status when the event ended it."""
    trial = tracker.trials.get(key)
    if trial is None:
        return None
    run_id = tracker.running.get(key)
    if isinstance(event, RunStarted):
        run_id = start_trial_run(store, study_id, key, trial.config, dict(event.dataset))
        tracker.started(key, run_id)
        notify(StudyEvent(key, run_id, replace(event, run_id=run_id), tracker.progress()))
        return None
    if isinstance(event, EpochDone):
        if run_id is None:
            return None
        store.add_epoch(run_id, event.record)
        tracker.epoch(key, event.record.get("seconds"))
        notify(StudyEvent(key, run_id, replace(event, run_id=run_id), tracker.progress()))
        return None
    if isinstance(event, RunFinished):
        tracker.finished(key)
        if run_id is None:  # ended before training (its data could not be loaded): no run, as for `train`
            tracker.early_failures.append(f"trial {key!r}: {event.message}")
            notify(StudyEvent(key, None, replace(event, model_npz=None), tracker.progress()))
            return event.status
        model_path = _write_model(store, run_id, event.model_npz)
        store.finish_run(run_id, event.status, event.message, final=event.final or None,
                         confusion=event.confusion, model_path=model_path)
        notify(StudyEvent(key, run_id, replace(event, run_id=run_id, model_npz=None), tracker.progress()))
        return event.status
    notify(StudyEvent(key, run_id, event, tracker.progress()))
    return None
