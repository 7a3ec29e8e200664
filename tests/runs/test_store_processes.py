"""Several processes on one store: a killed owner's run becomes interrupted; concurrent writers lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from runs.store import RunStore

WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from runs.store import RunStore
    from runs.config import RunConfig
    from nn_core.config import TrainConfig
    store = RunStore.open(sys.argv[1])
    epochs, die = int(sys.argv[2]), sys.argv[3] == "die"
    run_id = store.create_run(RunConfig(train=TrainConfig(epochs=epochs)), {"writer": os.getpid()})
    print(run_id, flush=True)
    for epoch in range(1, epochs + 1):
        store.add_epoch(run_id, {"epoch": epoch, "train_loss": 1.0 / epoch, "train_acc": 0.5, "lr": 0.1,
                                 "seconds": 0.0})
    if die:
        os.kill(os.getpid(), signal.SIGKILL)
    store.finish_run(run_id, "completed")
    """
)


def _writer(path, epochs: int, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(epochs), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_run_of_a_killed_process_is_interrupted_on_next_open(tmp_path):
    path = tmp_path / "runs.sqlite3"
    proc = _writer(path, 3, "die")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -9, err
    run_id = int(out.split()[0])
    with RunStore.open(path) as store:
        assert store.recovered == [run_id]
        run = store.get_run(run_id)
    assert run.status == "interrupted" and "ended without finishing" in run.message
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    with RunStore.open(path) as store:  # recovery happens once
        assert store.recovered == []


def test_concurrent_writers_keep_every_epoch(tmp_path):
    path = tmp_path / "runs.sqlite3"
    procs = [_writer(path, 150, "finish") for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outputs]
    ids = sorted(int(o[0].split()[0]) for o in outputs)
    with RunStore.open(path) as store:
        runs = store.list_runs()
    assert [r.id for r in runs] == ids
    for run in runs:
        assert run.status == "completed"
        assert [e["epoch"] for e in run.epochs] == list(range(1, 151))
