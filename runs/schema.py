"""The run store's SQLite schema, its version (PRAGMA user_version) and the migrations between versions.

Version history:
  1. runs(id, started_at, ended_at, status, config, dataset, final, confusion, model_path) and
     epochs(run_id, epoch, metrics) with each epoch's record as one JSON text.
  2. runs gain message, dataset_name, seed and the owner (pid, hostname, owner_started)
     so orphaned runs can be found; epochs become one column per metric so they can be queried
     and sorted in SQL. Keys an epoch record has beyond the known columns are kept in `extra`.
  3. studies(id, name, created_at, ended_at, status, message, spec, fingerprint, trials,
     owner) and runs.study_id, runs.trial_key: a study's trials are ordinary runs. A unique index
     on (study_id, trial_key) holds each trial to one run, whatever happens (runs.study_store).
  4. (current) runs.change_seq (indexed), the store-wide counter `changes` and `deleted_runs`
     tombstones, kept by triggers: every write to a run or its epochs, by any program and any
     code path, stamps the run with the next number, so a reader asks "what changed since n?"
     and reads only those rows (runs.store.RunStore.changes_since) — the cost of one epoch
     committed no longer grows with the number of runs in the store.
"""

from __future__ import annotations

import sqlite3

CURRENT_VERSION = 4
STATUSES = ("running", "completed", "cancelled", "diverged", "failed", "interrupted")
EPOCH_COLUMNS = (
    "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr", "seconds",
)
TABLES = ("epochs", "runs")

_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")"

_RUNS_V2 = f"""
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL CHECK ({_STATUS_CHECK}),
    message TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL,
    dataset_name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    seed INTEGER NOT NULL,
    final TEXT,
    confusion TEXT,
    model_path TEXT,
    pid INTEGER,
    hostname TEXT,
    owner_started TEXT
)"""

_EPOCHS_V2 = """
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL, val_acc REAL,
    test_loss REAL, test_acc REAL, lr REAL, seconds REAL,
    extra TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, epoch)
)"""

_INDEXES = "CREATE INDEX runs_by_status ON runs(status)"

STUDY_STATUSES = ("created", "running", "completed", "cancelled", "interrupted", "failed")
_STUDY_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in STUDY_STATUSES) + ")"

_STUDIES_V3 = f"""
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL CHECK ({_STUDY_STATUS_CHECK}),
    message TEXT NOT NULL DEFAULT '',
    spec TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    trials INTEGER NOT NULL,
    pid INTEGER,
    hostname TEXT,
    owner_started TEXT
)"""

_STUDY_COLUMNS = (
    "ALTER TABLE runs ADD COLUMN study_id INTEGER REFERENCES studies(id)",
    "ALTER TABLE runs ADD COLUMN trial_key TEXT",
)
_STUDY_INDEXES = (
    "CREATE UNIQUE INDEX runs_one_per_trial ON runs(study_id, trial_key) WHERE study_id IS NOT NULL",
)


_BUMP = "UPDATE changes SET seq = seq + 1;"
_STAMP = "UPDATE runs SET change_seq = (SELECT seq FROM changes) WHERE id = {run};"
_CHANGE_TRACKING_V4 = (
    "ALTER TABLE runs ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0",
    "CREATE TABLE changes (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL)",
    "CREATE TABLE deleted_runs (id INTEGER PRIMARY KEY, change_seq INTEGER NOT NULL)",
    "CREATE INDEX runs_by_change ON runs(change_seq)",
    "CREATE INDEX deleted_runs_by_change ON deleted_runs(change_seq)",
    f"CREATE TRIGGER run_inserted AFTER INSERT ON runs BEGIN {_BUMP} {_STAMP.format(run='NEW.id')} END",
    # The stamp itself is an update of runs: the WHEN clause keeps it from counting twice.
    f"""CREATE TRIGGER run_updated AFTER UPDATE ON runs WHEN NEW.change_seq IS OLD.change_seq
        BEGIN {_BUMP} {_STAMP.format(run='NEW.id')} END""",
    f"""CREATE TRIGGER run_deleted AFTER DELETE ON runs BEGIN {_BUMP}
        INSERT OR REPLACE INTO deleted_runs (id, change_seq) VALUES (OLD.id, (SELECT seq FROM changes)); END""",
    f"CREATE TRIGGER epoch_inserted AFTER INSERT ON epochs BEGIN {_BUMP} {_STAMP.format(run='NEW.run_id')} END",
    f"CREATE TRIGGER epoch_updated AFTER UPDATE ON epochs BEGIN {_BUMP} {_STAMP.format(run='NEW.run_id')} END",
    f"CREATE TRIGGER epoch_deleted AFTER DELETE ON epochs BEGIN {_BUMP} {_STAMP.format(run='OLD.run_id')} END",
)


def create(conn: sqlite3.Connection) -> None:
    """Create the current schema in an empty database (caller holds a write transaction)."""
    for statement in (_RUNS_V2, _EPOCHS_V2, _INDEXES):
        conn.execute(statement)
    _v2_to_v3(conn)
    _v3_to_v4(conn)
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Split JSON epoch records into columns; lift seed and dataset name out of their JSON.

    A v1 run still marked running has no recorded owner, so nothing can tell whether it lives:
    v1 programs predate this one and cannot be writing, so such runs become interrupted.
    """
    conn.execute("ALTER TABLE runs RENAME TO runs_v1")
    conn.execute("ALTER TABLE epochs RENAME TO epochs_v1")
    conn.execute(_RUNS_V2)
    conn.execute(_EPOCHS_V2)
    conn.execute(
        """
        INSERT INTO runs (id, started_at, ended_at, status, message, config, dataset_name, dataset,
                          seed, final, confusion, model_path)
        SELECT id, started_at, ended_at,
               CASE status WHEN 'running' THEN 'interrupted' ELSE status END,
               CASE status WHEN 'running' THEN 'interrupted (recorded by an older version)' ELSE '' END,
               config, COALESCE(json_extract(dataset, '$.name'), json_extract(config, '$.data.dataset')),
               dataset, COALESCE(json_extract(config, '$.train.seed'), 0), final, confusion, model_path
        FROM runs_v1
        """
    )
    known = ", ".join(f"'$.{c}'" for c in EPOCH_COLUMNS)
    conn.execute(
        f"""
        INSERT INTO epochs (run_id, epoch, {", ".join(EPOCH_COLUMNS[1:])}, extra)
        SELECT run_id, epoch, {", ".join(f"json_extract(metrics, '$.{c}')" for c in EPOCH_COLUMNS[1:])},
               json_remove(metrics, {known})
        FROM epochs_v1
        """
    )
    conn.execute("DROP TABLE epochs_v1")
    conn.execute("DROP TABLE runs_v1")
    conn.execute(_INDEXES)


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Add the studies table and the runs' study columns; existing runs belong to no study (NULL)."""
    conn.execute(_STUDIES_V3)
    for statement in (*_STUDY_COLUMNS, *_STUDY_INDEXES):
        conn.execute(statement)


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """Track changes: existing runs are stamped with their id (the counter starts at the largest),
    so a reader that has read nothing yet (since 0) reads them all, oldest first."""
    conn.execute(_CHANGE_TRACKING_V4[0])
    conn.execute("UPDATE runs SET change_seq = id")
    for statement in _CHANGE_TRACKING_V4[1:]:
        conn.execute(statement)
    conn.execute("INSERT INTO changes (id, seq) VALUES (1, (SELECT coalesce(max(id), 0) FROM runs))")


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
"""MIGRATIONS[v] turns a version-v database into version v + 1."""


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database from `version` to CURRENT_VERSION, one step at a time (caller holds a write transaction)."""
    while version < CURRENT_VERSION:
        MIGRATIONS[version](conn)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")
