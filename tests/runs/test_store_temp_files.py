"""Temporary model files of dead writers are removed when the store opens and when their run is
deleted; a live writer's temporary file, and files that are not ours, are left alone."""

from __future__ import annotations

import os
import sqlite3

from runs.store import RunStore
from runs_test_helpers import DATASET_INFO, small_config


def _temp(models, run_id: int, tag: str):
    path = models / f".{run_id}.npz.{tag}.tmp"
    path.write_bytes(b"half a model")
    return path


def test_stale_temporary_model_files_are_removed_on_open(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with RunStore.open(path) as store:
        finished = store.create_run(small_config(), DATASET_INFO)
        store.finish_run(finished, "completed")
        killed = store.create_run(small_config(), DATASET_INFO)  # its writer will be dead
        live = store.create_run(small_config(), DATASET_INFO)  # owned by this test process: alive
    conn = sqlite3.connect(path)
    conn.execute("UPDATE runs SET pid = 999999999 WHERE id = ?", (killed,))
    conn.commit()
    conn.close()
    models = tmp_path / "models"
    models.mkdir()
    stale = [_temp(models, finished, "a1b2"), _temp(models, killed, "c3d4"), _temp(models, 77, "gone")]
    kept = [_temp(models, live, "e5f6"), models / "notes.tmp", models / ".x.npz.abc.tmp", models / f"{finished}.npz"]
    for path_ in kept[1:]:
        path_.write_bytes(b"not a temporary model of ours")
    with RunStore.open(path) as store:
        assert store.recovered == [killed]
    assert [p.exists() for p in stale] == [False, False, False]
    assert all(p.exists() for p in kept)


def test_deleting_a_run_removes_its_temporary_model_files(tmp_path):
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        first = store.create_run(small_config(), DATASET_INFO)
        second = store.create_run(small_config(), DATASET_INFO)
        models = tmp_path / "models"
        models.mkdir()
        mine, other = _temp(models, first, "k1ll"), _temp(models, second, "l1ve")
        store.finish_run(first, "cancelled")
        store.delete_run(first)
    assert not mine.exists() and other.exists()  # run 2 is still being written by this process
    assert os.listdir(models) == [other.name]
