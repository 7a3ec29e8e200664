"""The client records every trial once, live, through real worker processes; deaths and cancels are resumable."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.model_io import load_model
from runs.config import DataConfig, RunConfig
from runs.events import EpochDone, RunFinished, RunStarted
from runs.local_executor import LocalPoolExecutor
from runs.store import RunStore
from runs.study_estimate import PER_TRIAL_S, seconds_per_epoch
from runs.study_executor import TrialEvent
from runs.study_runner import run_study
from runs.study_spec import StudySpec
from runs.study_store import create_study, get_study, study_runs

BASE = RunConfig(data=DataConfig(limit=500), model=ModelConfig(hidden_sizes=(8,)), train=TrainConfig(epochs=2))
SPEC = StudySpec(base=BASE.to_dict(), vary={"optimizer": ["sgd", "momentum"]}, seeds=[0, 1])


def _new_study(store, spec=SPEC):
    return create_study(store, spec, len(spec.trials()))


def test_a_small_study_on_real_workers_records_every_trial_once_with_live_epochs(mnist_tui_home):
    seen = []
    with RunStore.open() as store:
        study_id = _new_study(store)
        executor = LocalPoolExecutor(2)
        try:
            outcome = run_study(store, study_id, executor, on_event=lambda e: seen.append((e.trial_key, e.event)))
        finally:
            executor.close()
        runs = study_runs(store, study_id)
        assert outcome.status == "completed" and outcome.counts == {"completed": 4}
        assert get_study(store, study_id).status == "completed"
    assert sorted(r.trial_key for r in runs) == sorted(t.key for t in SPEC.trials())

    def store_layers(run_id):
        with RunStore.open() as store:
            return store.get_run(run_id).epochs[-1]["layers"]
    for run in runs:
        assert run.status == "completed" and [e["epoch"] for e in run.epochs] == [1, 2]
        assert run.owner.pid == os.getpid()  # the client, not a worker, owns and writes every run
        assert run.dataset["checksums"] and run.final["test_acc"] == run.epochs[-1]["test_acc"] > 0.1
        assert load_model(run.model_path).model.config.hidden_sizes == (8,)
        layers = store_layers(run.id)
        assert [row["layer"] for row in layers] == [1, 2]  # trials record layer statistics too
        kinds = [type(ev).__name__ for key, ev in seen if key == run.trial_key and not ev.__class__.__name__.startswith("Batch")]
        assert kinds == ["RunStarted", "EpochDone", "EpochDone", "RunFinished"]  # epochs arrive before the end


class ScriptedExecutor:
    """Plays each trial as started, one epoch, then `outcomes[key]` in turn (default completed)."""

    workers = 2

    def __init__(self, outcomes):
        self.outcomes = outcomes
        self.queue = []
        self.submitted = []

    def submit(self, trial):
        self.submitted.append(trial.key)
        self.queue.append(trial)

    def events(self, timeout):
        if not self.queue:
            return []
        trial = self.queue.pop(0)
        script = self.outcomes.get(trial.key, [])
        status = script.pop(0) if script else "completed"
        info = {"name": "mnist", "train_size": 500}
        record = {"epoch": 1, "train_loss": 1.0, "train_acc": 0.5, "val_acc": 0.6, "test_acc": 0.6, "lr": 0.1,
                  "seconds": 0.1, "val_loss": 1.0, "test_loss": 1.0}
        return [TrialEvent(trial.key, RunStarted(None, trial.config.to_dict(), info, 500, 10, 10)),
                TrialEvent(trial.key, EpochDone(None, record)),
                TrialEvent(trial.key, RunFinished(None, status, "" if status == "completed" else "worker died",
                                                  final={"val_acc": 0.6, "test_acc": 0.6}))]

    def cancel(self):
        self.queue.clear()

    def close(self):
        pass


def test_a_trial_whose_worker_died_is_rerun_once_then_left_for_resume(mnist_tui_home):
    keys = [t.key for t in SPEC.trials()]
    with RunStore.open() as store:
        study_id = _new_study(store)
        once = ScriptedExecutor({keys[0]: ["interrupted"], keys[1]: ["interrupted", "interrupted"]})
        outcome = run_study(store, study_id, once)
        assert once.submitted.count(keys[0]) == 2 and once.submitted.count(keys[1]) == 2
        assert outcome.status == "interrupted" and outcome.counts == {"completed": 3, "interrupted": 1}
        statuses = {r.trial_key: r.status for r in study_runs(store, study_id)}
        assert statuses[keys[0]] == "completed" and statuses[keys[1]] == "interrupted" and len(statuses) == 4

        again = ScriptedExecutor({})
        resumed = run_study(store, study_id, again)
        assert again.submitted == [keys[1]] and resumed.skipped == 3 and resumed.status == "completed"
        runs = study_runs(store, study_id)
        assert len(runs) == 4 and {r.status for r in runs} == {"completed"}


def test_a_worker_killed_mid_trial_reports_interrupted_and_the_pool_goes_on(mnist_tui_home):
    slow = StudySpec(base=RunConfig(data=DataConfig(limit=2000), model=ModelConfig(hidden_sizes=(64,)),
                                    train=TrainConfig(epochs=200, batch_size=8)).to_dict())
    quick = StudySpec(base=BASE.to_dict())
    executor = LocalPoolExecutor(1)
    try:
        executor.submit(slow.trials()[0])
        events = []
        deadline = time.monotonic() + 120
        while not any(isinstance(e.event, EpochDone) for e in events) and time.monotonic() < deadline:
            events += executor.events(0.5)
        os.kill(executor._pool[0].process.pid, signal.SIGKILL)
        while not any(isinstance(e.event, RunFinished) for e in events) and time.monotonic() < deadline:
            events += executor.events(0.5)
        finished = [e.event for e in events if isinstance(e.event, RunFinished)]
        assert [f.status for f in finished] == ["interrupted"] and "exit code -9" in finished[0].message

        executor.submit(quick.trials()[0])
        later = []
        while not any(isinstance(e.event, RunFinished) for e in later) and time.monotonic() < deadline:
            later += executor.events(0.5)
        assert [e.event.status for e in later if isinstance(e.event, RunFinished)] == ["completed"]
    finally:
        executor.close()


def test_cancel_stops_running_trials_after_their_batch_and_the_study_resumes(mnist_tui_home):
    spec = StudySpec(base=RunConfig(data=DataConfig(limit=2000), model=ModelConfig(hidden_sizes=(16,)),
                                    train=TrainConfig(epochs=30, batch_size=8)).to_dict(),
                     vary={"optimizer": ["sgd", "momentum"]}, seeds=[0, 1, 2])
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event.event, EpochDone):
            cancel.set()

    with RunStore.open() as store:
        study_id = _new_study(store, spec)
        executor = LocalPoolExecutor(2)
        try:
            outcome = run_study(store, study_id, executor, on_event=on_event, cancel=cancel)
        finally:
            executor.close()
        assert outcome.status == "cancelled" and get_study(store, study_id).status == "cancelled"
        runs = study_runs(store, study_id)
        assert 1 <= len(runs) <= 2 and {r.status for r in runs} <= {"cancelled"}  # queued trials never started
        assert all(len(r.epochs) < 30 for r in runs)



def test_progress_counts_trials_and_the_eta_falls_to_zero(mnist_tui_home):
    progress = []
    with RunStore.open() as store:
        run_study(store, _new_study(store), ScriptedExecutor({}), on_event=lambda e: progress.append(e.progress))
    first, last = progress[0], progress[-1]
    assert (first.total, first.done, first.running, first.queued) == (4, 0, 0, 4) and first.eta_seconds > 0
    assert (last.done, last.running, last.queued, last.eta_seconds) == (4, 0, 0, 0)
    # After the first epoch (measured 0.1 s) the estimate is rescaled by measured / estimated epoch time:
    # 7 epochs left of 4 trials x 2 epochs, plus each trial's overhead, on 2 workers.
    estimate = seconds_per_epoch(BASE)
    after_first_epoch = progress[2]
    assert after_first_epoch.done == 0
    assert after_first_epoch.eta_seconds == pytest.approx((7 * estimate + 4 * PER_TRIAL_S) * (0.1 / estimate) / 2)
    assert max(p.running for p in progress) == 1


def test_a_study_process_streams_events_and_can_be_cancelled(mnist_tui_home):
    from runs.study_process import StudyProcess
    from runs.study_runner import StudyEvent, StudyOutcome

    spec = StudySpec(base=RunConfig(data=DataConfig(limit=2000), model=ModelConfig(hidden_sizes=(16,)),
                                    train=TrainConfig(epochs=30, batch_size=8)).to_dict(),
                     vary={"optimizer": ["sgd", "momentum"]})
    with RunStore.open() as store:
        study_id = _new_study(store, spec)
    process = StudyProcess(study_id, workers=2)
    process.start()
    seen = []
    for item in process.events():
        seen.append(item)
        if isinstance(item, StudyEvent) and isinstance(item.event, EpochDone):
            process.cancel()
    assert process.join(timeout=30) == 0
    assert isinstance(seen[-1], StudyOutcome) and seen[-1].status == "cancelled"
    with RunStore.open() as store:
        runs = study_runs(store, study_id)
        assert runs and all(r.status == "cancelled" and r.owner.pid != os.getpid() for r in runs)


def test_model_bytes_that_are_not_a_model_file_are_not_written(mnist_tui_home):
    class JunkModel(ScriptedExecutor):
        def events(self, timeout):
            out = super().events(timeout)
            if out:
                last = out[-1]
                out[-1] = TrialEvent(last.trial_key, RunFinished(None, "completed", final=last.event.final,
                                                                 model_npz=b"PK\x03\x04 not really a model"))
            return out

    with RunStore.open() as store:
        study_id = _new_study(store)
        outcome = run_study(store, study_id, JunkModel({}))
        runs = study_runs(store, study_id)
        models = list(store.models_dir.glob("*")) if store.models_dir.exists() else []
    assert outcome.status == "completed" and all(r.model_path is None for r in runs)
    assert models == []  # neither the junk nor a temporary file is left behind
