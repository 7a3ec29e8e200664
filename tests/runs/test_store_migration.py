"""A version-1 store written the way version 1 wrote it is migrated on open, losing nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from runs.schema import CURRENT_VERSION
from runs.store import RunStore, StoreError
from runs_test_helpers import epoch_record, small_config

V1_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
    config TEXT NOT NULL, dataset TEXT NOT NULL, final TEXT, confusion TEXT, model_path TEXT
);
CREATE TABLE epochs (run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, metrics TEXT NOT NULL,
                     PRIMARY KEY (run_id, epoch));
PRAGMA user_version = 1;
"""
CONFUSION = [[9 if i == j else 0 for j in range(10)] for i in range(10)]


def _write_v1(path):
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    rows = [
        (small_config(seed=4), "completed", json.dumps({"test_acc": 0.97}), "/home/someone/.local/share/mnist-tui/models/1.npz"),
        (small_config(seed=9), "running", None, None),
    ]
    for config, status, final, model in rows:
        conn.execute(
            "INSERT INTO runs (started_at, ended_at, status, config, dataset, final, confusion, model_path) "
            "VALUES ('2026-01-02T03:04:05+00:00', NULL, ?, ?, ?, ?, ?, ?)",
            (status, json.dumps(config.to_dict()),
             json.dumps({"name": "mnist", "checksums": {"f": "ab"}}), final,
             json.dumps(CONFUSION) if final else None, model),
        )
    for run_id, epochs in ((1, 3), (2, 1)):
        for epoch in range(1, epochs + 1):
            metrics = {**epoch_record(epoch, 0.9 + epoch / 100), "note": f"e{epoch}"}
            conn.execute("INSERT INTO epochs VALUES (?, ?, ?)", (run_id, epoch, json.dumps(metrics)))
    conn.commit()
    conn.close()


def test_v1_store_is_migrated_to_current_schema(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _write_v1(path)
    with RunStore.open(path) as store:
        first, second = store.list_runs()
        new_id = store.create_run(small_config(seed=1), {})  # and it is writable afterwards
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION

    assert first.status == "completed" and first.seed == 4 and first.final == {"test_acc": 0.97}
    assert first.run_config == small_config(seed=4) and first.confusion == CONFUSION
    assert first.dataset["checksums"] == {"f": "ab"} and not first.damaged
    # v1 stored absolute paths; the file used is always this store's own models/<id>.npz.
    assert first.model_path == str(tmp_path / "models" / "1.npz")
    assert [e["epoch"] for e in first.epochs] == [1, 2, 3]
    assert first.epochs[2] == {**epoch_record(3, 0.93), "note": "e3"}
    # A v1 run left running has no recorded owner; it cannot still be writing, so it is interrupted.
    assert second.status == "interrupted" and second.seed == 9 and len(second.epochs) == 1
    assert new_id == 3


def test_epoch_columns_are_queryable_after_migration(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _write_v1(path)
    RunStore.open(path).close()
    conn = sqlite3.connect(path)
    best = conn.execute("SELECT run_id, epoch, val_acc FROM epochs ORDER BY val_acc DESC LIMIT 1").fetchone()
    assert best == (1, 3, 0.93)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {
        "runs", "epochs", "studies", "sqlite_sequence", "changes", "deleted_runs"
    }


def _digests(path):
    import hashlib
    from pathlib import Path

    return {s: hashlib.sha256(Path(f"{path}{s}").read_bytes()).hexdigest() if Path(f"{path}{s}").exists() else None
            for s in ("", "-wal", "-shm")}


@pytest.mark.parametrize("pending", [False, True], ids=["merged", "pending log"])
def test_an_old_store_the_migration_would_fail_on_is_refused_untouched(tmp_path, pending):
    """The migration is rehearsed on a private copy first: the real file is never opened for writing."""
    import subprocess
    import sys

    path = tmp_path / "runs.sqlite3"
    _write_v1(path)
    drop = "ALTER TABLE runs DROP COLUMN final"
    if pending:  # a v1 writer killed after its last commit
        script = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                  "c.execute('PRAGMA journal_mode = WAL'); c.execute('PRAGMA wal_autocheckpoint = 0'); "
                  f"c.execute({drop!r}); os._exit(0)")
        subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    else:
        conn = sqlite3.connect(path)
        conn.execute(drop)
        conn.commit()
        conn.close()
    before = _digests(path)
    with pytest.raises(StoreError, match=rf"schema version 1\) cannot be upgraded to version {CURRENT_VERSION} .*no such column: final"):
        RunStore.open(path)
    assert _digests(path) == before
