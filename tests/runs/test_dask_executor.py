"""DaskExecutor on a real LocalCluster of worker processes that have no data of their own.

One cluster serves the module (starting one takes seconds); every test makes its own client
and executor on it. The workers' environment points MNIST_TUI_DATA and the user cache at empty
folders and the download mirror at a closed port, so a trial can only train on the dataset the
client scatters (test_workers_cannot_load_data_yet_trials_run checks that for real); the workers
started as separate `dask worker` processes have MNIST_TUI_DATA unset altogether.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import distributed  # the [test] extra installs it, so CI always runs these

from runs.config import DataConfig, RunConfig
from runs.dask_executor import (
    DaskExecutor,
    DaskSpecError,
    SchedulerUnreachableError,
    make_executor,
    parse_dask_spec,
)
from runs.events import BatchProgress, EpochDone, RunFinished, RunStarted
from runs.local_executor import LocalPoolExecutor
from runs.store import RunStore
from runs.study_executor import ExecutorError
from runs.study_runner import run_study
from runs.study_spec import StudySpec, Trial
from runs.study_store import create_study, study_runs
from nn_core.config import ModelConfig, TrainConfig


@pytest.fixture(scope="module")
def empty_worker_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("worker-env")
    for name in ("data", "cache"):
        (root / name).mkdir()
    return {
        "MNIST_TUI_DATA": str(root / "data"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "MNIST_TUI_MIRRORS": "http://127.0.0.1:9/",
    }


@pytest.fixture(scope="module")
def cluster(empty_worker_env: dict[str, str]):
    import logging

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.ERROR, env=empty_worker_env,
    ) as local:
        yield local


@pytest.fixture
def executor(cluster):
    """An executor connected by address, as `--dask tcp://host:8786` does (the cluster stays up)."""
    ex = DaskExecutor.connect(cluster.scheduler_address)
    ex.client.wait_for_workers(2, timeout=60)  # a worker killed by an earlier test is restarted by its nanny
    yield ex
    ex.close()


def _trial(key: str, seed: int = 0, *, epochs: int = 2, limit: int = 500, hidden: tuple[int, ...] = (16,)) -> Trial:
    config = RunConfig(
        data=DataConfig(limit=limit, val_size=500),
        model=ModelConfig(hidden_sizes=hidden),
        train=TrainConfig(epochs=epochs, seed=seed),
    )
    return Trial(key=key, params={}, seed=seed, config=config)


def _collect(ex: DaskExecutor, expected_ends: int, *, on_event=None, timeout: float = 120.0) -> list[list]:
    """Every events() batch until `expected_ends` RunFinished arrived (fails after `timeout` s)."""
    batches, ends, deadline = [], 0, time.monotonic() + timeout
    while ends < expected_ends:
        assert time.monotonic() < deadline, f"only {ends} of {expected_ends} trials ended: {batches}"
        batch = ex.events(0.5)
        if batch:
            batches.append(batch)
        for item in batch:
            ends += isinstance(item.event, RunFinished)
            if on_event is not None:
                on_event(item)
    return batches


def _kill_worker_of(ex: DaskExecutor, trial_key: str) -> None:
    address = ex.running()[trial_key]
    pid = ex.client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)


def test_trials_complete_with_each_epoch_arriving_before_the_trial_ends(executor):
    trials = [_trial(f"t{i}", seed=i, epochs=3, limit=5000) for i in range(3)]
    for trial in trials:
        executor.submit(trial)
    batches = _collect(executor, 3)

    for trial in trials:
        where = [(n, item.event) for n, batch in enumerate(batches) for item in batch
                 if item.trial_key == trial.key and not isinstance(item.event, BatchProgress)]
        kinds = [type(event).__name__ for _, event in where]
        assert kinds == ["RunStarted", "EpochDone", "EpochDone", "EpochDone", "RunFinished"], kinds
        assert [e.record["epoch"] for _, e in where if isinstance(e, EpochDone)] == [1, 2, 3]
        finished = where[-1][1]
        assert finished.status == "completed" and finished.model_npz  # the model file travels back as bytes
        first_epoch_batch = next(n for n, e in where if isinstance(e, EpochDone))
        assert first_epoch_batch < where[-1][0], "epoch 1 came only with the trial's end, not live"


def _trial_tasks(ex: DaskExecutor) -> list[str]:
    return ex.client.run_on_scheduler(
        lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks if str(k).startswith("mnist-tui-trial-")]
    )


def test_finished_trials_leave_no_result_on_the_cluster(executor):
    for i in range(3):
        executor.submit(_trial(f"r{i}", seed=i))
    deadline = time.monotonic() + 30
    while len(_trial_tasks(executor)) < 3:  # held while their futures are (submit reaches the scheduler soon)
        assert time.monotonic() < deadline, _trial_tasks(executor)
        time.sleep(0.05)
    _collect(executor, 3)
    while _trial_tasks(executor):  # results (model files) are freed, not kept until the study ends
        assert time.monotonic() < deadline, _trial_tasks(executor)
        time.sleep(0.1)


def test_workers_cannot_load_data_yet_trials_run(executor):
    def try_load() -> str:  # every source but system folders (those are the machine's, not the env's)
        from data.loader import load_dataset

        try:
            load_dataset("mnist", timeout=2.0, system_roots=())
        except Exception as error:  # noqa: BLE001
            return type(error).__name__
        return "loaded"

    outcomes = executor.client.run(try_load)
    assert len(outcomes) == 2 and "loaded" not in outcomes.values(), outcomes

    executor.submit(_trial("nodata"))
    events = [item.event for batch in _collect(executor, 1) for item in batch]
    assert events[-1].status == "completed", events[-1]
    assert events[0].dataset["checksums"]  # trained on the client's verified arrays, provenance kept


def test_cancel_stops_running_trials_after_their_batch_and_drops_queued_ones(executor):
    for i in range(4):  # 2 run, 2 wait for a worker
        executor.submit(_trial(f"c{i}", seed=i, epochs=40))
    seen: list = []
    deadline = time.monotonic() + 120
    quiet_since = None
    while quiet_since is None or time.monotonic() - quiet_since < 2.0:  # until 2 s pass with nothing new
        assert time.monotonic() < deadline, seen
        batch = executor.events(0.5)
        for item in batch:
            if isinstance(item.event, EpochDone) and not any(isinstance(i.event, EpochDone) for i in seen):
                executor.cancel()
            seen.append(item)
        started = {i.trial_key for i in seen if isinstance(i.event, RunStarted)}
        ended = {i.trial_key for i in seen if isinstance(i.event, RunFinished)}
        if batch or not started or ended != started:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
    finals = {i.trial_key: i.event for i in seen if isinstance(i.event, RunFinished)}
    assert finals and all(f.status == "cancelled" for f in finals.values()), finals
    assert started == set(finals)  # every trial that started ended once; the others sent nothing at all
    assert {i.trial_key for i in seen} == started
    for key in finals:
        epochs = [i.event.record["epoch"] for i in seen if i.trial_key == key and isinstance(i.event, EpochDone)]
        assert len(epochs) < 40 and epochs == list(range(1, len(epochs) + 1))
    assert len(finals) < 4  # at least one waiting trial never started


def test_a_worker_killed_mid_trial_ends_it_interrupted_once_and_nothing_of_it_follows(executor):
    executor.submit(_trial("victim", epochs=30))
    events: list = []

    def kill_on_first_epoch(item) -> None:
        if isinstance(item.event, EpochDone) and not any(isinstance(e, EpochDone) for e in events):
            _kill_worker_of(executor, "victim")
        events.append(item.event)

    _collect(executor, 1, on_event=kill_on_first_epoch)
    assert not executor.events(3.0)  # Dask's retry of the task was cancelled: no second attempt streams
    assert isinstance(events[-1], RunFinished) and events[-1].status == "interrupted", events[-1]
    assert "died" in events[-1].message
    epochs = [e.record["epoch"] for e in events if isinstance(e, EpochDone)]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) < 30


def test_trials_queued_behind_a_killed_only_worker_still_run_on_its_replacement(empty_worker_env):
    """The dead worker held the only copy of the scattered data: the client scatters it again."""
    import logging

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=logging.CRITICAL, env=empty_worker_env) as one:
        with DaskExecutor(distributed.Client(one, set_as_default=False)) as ex:
            ex.submit(_trial("victim", epochs=30))
            for i in range(2):
                ex.submit(_trial(f"queued{i}", seed=i))
            killed: list[str] = []

            def kill_on_first_epoch(item) -> None:
                if isinstance(item.event, EpochDone) and not killed:
                    killed.append(item.trial_key)
                    _kill_worker_of(ex, item.trial_key)

            events = [i for batch in _collect(ex, 3, on_event=kill_on_first_epoch) for i in batch]
    finals = {i.trial_key: i.event.status for i in events if isinstance(i.event, RunFinished)}
    assert finals == {"victim": "interrupted", "queued0": "completed", "queued1": "completed"}, finals


def _small_study(store: RunStore) -> int:
    base = RunConfig(data=DataConfig(limit=500, val_size=500), train=TrainConfig(epochs=2)).to_dict()
    spec = StudySpec(base=base, vary={"hidden-layers": [0, 1]}, seeds=[0, 1])
    return create_study(store, spec, len(spec.trials()))


def _by_trial(store: RunStore, study_id: int) -> dict[str, tuple]:
    out = {}
    for run in study_runs(store, study_id):
        assert run.trial_key not in out, f"trial {run.trial_key} recorded twice"
        history = [(e["epoch"], e["train_loss"], e["val_acc"], e["test_acc"]) for e in run.epochs]
        out[run.trial_key] = (run.status, history, run.final["test_acc"])
    return out


def test_a_study_on_dask_gives_the_same_numbers_as_on_the_local_pool(executor, tmp_path: Path):
    with RunStore.open(tmp_path / "pool" / "runs.sqlite3") as store:
        study_id = _small_study(store)
        pool = LocalPoolExecutor(workers=2)
        try:
            assert run_study(store, study_id, pool).status == "completed"
        finally:
            pool.close()
        local = _by_trial(store, study_id)
    with RunStore.open(tmp_path / "dask" / "runs.sqlite3") as store:
        study_id = _small_study(store)
        assert run_study(store, study_id, executor).status == "completed"
        on_dask = _by_trial(store, study_id)
    assert len(local) == 4 and all(status == "completed" for status, _, _ in local.values())
    assert on_dask == local  # same seeds, same verified bytes, one BLAS thread: identical numbers


def test_a_study_reruns_the_trial_whose_worker_was_killed_and_records_it_once(executor, tmp_path: Path):
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        base = RunConfig(data=DataConfig(limit=500, val_size=500), train=TrainConfig(epochs=12)).to_dict()
        spec = StudySpec(base=base, vary={"hidden-layers": [0, 1]}, seeds=[0])
        study_id = create_study(store, spec, 2)
        killed: list[str] = []
        ends: list[tuple[str, str]] = []

        def kill_once(event) -> None:
            if isinstance(event.event, EpochDone) and not killed:
                killed.append(event.trial_key)
                _kill_worker_of(executor, event.trial_key)
            if isinstance(event.event, RunFinished):
                ends.append((event.trial_key, event.event.status))

        outcome = run_study(store, study_id, executor, on_event=kill_once)
        runs = study_runs(store, study_id)
    assert [status for key, status in ends if key == killed[0]] == ["interrupted", "completed"], ends  # rerun once
    assert outcome.status == "completed", outcome
    assert sorted(r.trial_key for r in runs) == sorted(t.key for t in spec.trials())
    for run in runs:
        assert run.status == "completed"
        assert [e["epoch"] for e in run.epochs] == list(range(1, 13)), (run.trial_key, run.epochs)


@contextlib.contextmanager
def _separate_cluster(worker_env: dict[str, str], *worker_args: str):
    """A scheduler and one worker as separate processes (`dask scheduler`, `dask worker`), as on real machines."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    scheduler = subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                                  "--port", address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)
    env = {k: v for k, v in {**os.environ, **worker_env}.items() if k != "MNIST_TUI_DATA"}  # unset, here
    worker = subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard", *worker_args], env=env, **quiet)
    try:
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def separate_cluster(empty_worker_env: dict[str, str]):
    with _separate_cluster(empty_worker_env) as cluster:
        yield cluster


def test_workers_without_mnist_tui_are_refused_naming_them(empty_worker_env):
    blocker = str(Path(__file__).with_name("dask_worker_without_mnist_tui.py"))
    with _separate_cluster(empty_worker_env, "--preload", blocker) as (address, _):
        with pytest.raises(ExecutorError, match=r"Dask worker\(s\) tcp://.* cannot import mnist-tui; install it"):
            DaskExecutor.connect(address, timeout=60.0)


def test_a_scheduler_killed_mid_study_ends_its_trials_interrupted_naming_it(separate_cluster):
    address, scheduler = separate_cluster
    ex = DaskExecutor.connect(address, timeout=60.0)  # waits for the processes to come up
    try:
        ex.submit(_trial("running", epochs=200))
        ex.submit(_trial("queued", epochs=2))

        def kill_on_first_epoch(item) -> None:
            if isinstance(item.event, EpochDone) and scheduler.poll() is None:
                scheduler.kill()

        events = [item for batch in _collect(ex, 2, on_event=kill_on_first_epoch) for item in batch]
    finally:
        ex.close()
    finals = {i.trial_key: i.event for i in events if isinstance(i.event, RunFinished)}
    assert set(finals) == {"running", "queued"}
    for final in finals.values():
        assert final.status == "interrupted" and f"scheduler at {address}" in final.message, final


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_a_clear_error_naming_it():
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(SchedulerUnreachableError, match=f"cannot reach the Dask scheduler at {address}"):
        DaskExecutor.connect(address, timeout=1.0)


def test_a_scheduler_without_workers_is_refused_before_anything_is_submitted():
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(SchedulerUnreachableError, match=f"{empty.scheduler_address} has no workers"):
            DaskExecutor.connect(empty.scheduler_address, timeout=1.0)


@pytest.mark.parametrize("text, expected", [
    ("local", ("local", None)),
    ("local:3", ("local", 3)),
    ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786")),
    ("scheduler.lan:8786", ("address", "tcp://scheduler.lan:8786")),
])
def test_dask_values(text, expected):
    assert parse_dask_spec(text) == expected


@pytest.mark.parametrize("text", ["local:0", "local:x", "local:", "tcp://host", "http://host:8786", ""])
def test_bad_dask_values_name_the_value(text):
    with pytest.raises(DaskSpecError, match=f"--dask {text!r}"):
        parse_dask_spec(text)


@pytest.mark.parametrize("text, workers, named", [
    ("local:2", 3, "--workers 3 and --dask 'local:2' disagree"),
    ("tcp://10.0.0.5:8786", 2, "--workers 2: the Dask cluster at tcp://10.0.0.5:8786 has its own workers"),
])
def test_workers_that_contradict_dask_are_refused_before_connecting(text, workers, named):
    with pytest.raises(DaskSpecError, match=re.escape(named)):
        make_executor(text, workers=workers)


def test_without_dask_installed_the_message_says_how_to_install_it():
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "from runs.dask_executor import DaskNotInstalledError, make_executor\n"
        "try:\n"
        "    make_executor('local:2')\n"
        "except DaskNotInstalledError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install -e '.[dask]'" in out.stdout, out
