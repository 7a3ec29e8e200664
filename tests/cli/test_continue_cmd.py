"""`mnist-tui runs continue`: a run killed with SIGKILL in epoch 4 continues to the numbers and
weights of an uninterrupted run, as real processes, with the BLAS thread count pinned."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from contextlib import closing

import numpy as np

from tests.cli.cli_helpers import cli, env_for, json_lines, start, train_json

FLAGS = ("--limit", "20000", "--val-size", "2000", "--epochs", "6", "--batch-size", "32",
         "--optimizer", "adam", "--dropout", "0.2", "--augment", "shift=2,rotate=10", "--seed", "7")
SAME = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr")


def _arrays(path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k != "metadata"}


def _epochs_stored(home) -> int:
    with closing(sqlite3.connect(f"file:{home / 'runs.sqlite3'}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM epochs").fetchone()[0]


def test_killed_in_epoch_4_then_continued_is_bit_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_TUI_BLAS_THREADS", "1")
    straight_home, killed_home = tmp_path / "straight", tmp_path / "killed"
    straight = train_json(straight_home, *FLAGS)

    os.environ["MNIST_TUI_BLAS_THREADS"] = "1"
    child = start(killed_home, "train", "--json", *FLAGS)
    for line in child.stdout:  # epoch 3's line is printed after its checkpoint is written
        if '"epoch": 3' in line:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    child.stderr.close()
    assert _epochs_stored(killed_home) == 3, "the kill was meant to land in epoch 4"

    listing = cli(killed_home, "runs", "list", "--json")  # opening the store marks the run interrupted
    run = json.loads(listing.stdout)[0]
    assert run["status"] == "interrupted" and run["test_weights"] == "last"
    model = killed_home / "models" / "1.npz"
    predicted = cli(killed_home, "predict", "--run", "1", "--count", "3")  # a usable model of epoch 3
    assert predicted.returncode == 0, predicted.stderr

    result = cli(killed_home, "runs", "continue", "1", "--json")
    assert result.returncode == 0, result.stderr
    continued = json_lines(result.stdout)
    assert [e["epoch"] for e in continued[:-1]] == [4, 5, 6]
    assert [{k: e[k] for k in SAME} for e in continued[:-1]] == [{k: e[k] for k in SAME} for e in straight[3:-1]]
    summary, expected = continued[-1], straight[-1]
    assert summary["run_id"] == 1 and summary["status"] == "completed"
    assert summary["test_acc"] == expected["test_acc"] and summary["weights"] == expected["weights"] == "best"
    a, b = _arrays(straight_home / "models" / "1.npz"), _arrays(model)
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key

    before = model.read_bytes()
    again = cli(killed_home, "runs", "continue", "1")
    assert again.returncode == 2 and "nothing to train" in again.stderr and "Traceback" not in again.stderr
    assert model.read_bytes() == before
    unknown = cli(killed_home, "runs", "continue", "9")
    assert unknown.returncode == 2 and "unknown run id 9" in unknown.stderr
