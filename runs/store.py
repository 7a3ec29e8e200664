"""The run store: every run's config, data provenance, per-epoch metrics, results and model file, in SQLite.

One database file (WAL mode) in the home folder (`runs.paths`), models beside it in
``models/<id>.npz``. Any number of processes may read and write at once: every write is a
short ``BEGIN IMMEDIATE`` transaction, a busy database is waited for and retried, and each
epoch is committed as it ends so a crash loses at most the epoch in progress. Opening never
writes to a file before it has been recognised as a healthy mnist-tui store.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

from runs import paths, schema
from runs.config import RunConfig
from runs.owner import Owner, current_owner, is_alive

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 10.0
LOCK_RETRY_S = 120.0
"""How long a write keeps retrying a locked database before giving up with StoreError."""

T = TypeVar("T")


class StoreError(Exception):
    """The store cannot be used or asked for something it lacks; str() is a user-ready message."""


class UnknownRunError(StoreError):
    def __init__(self, run_id: Any) -> None:
        super().__init__(f"no run with id {run_id!r} in the run store")
        self.run_id = run_id


@dataclass(frozen=True)
class RunRecord:
    """One run as stored. `epochs` holds one dict per finished epoch (EpochRecord fields)."""

    id: int
    status: str
    message: str
    started_at: str
    ended_at: str | None
    config: dict[str, Any]
    dataset: dict[str, Any]
    seed: int
    final: dict[str, Any] | None
    confusion: list[list[int]] | None
    model_path: str | None
    owner: Owner | None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    study_id: int | None = None
    trial_key: str | None = None
    """A study's trial: its study and trial key (runs.study_spec); None for a run of its own."""

    @property
    def run_config(self) -> RunConfig:
        return RunConfig.from_dict(self.config)

    @property
    def best_epoch(self) -> dict[str, Any] | None:
        """The epoch with the highest validation accuracy (test accuracy when there is no validation split)."""
        key = "val_acc" if any(e.get("val_acc") is not None for e in self.epochs) else "test_acc"
        scored = [e for e in self.epochs if e.get(key) is not None]
        return max(scored, key=lambda e: e[key]) if scored else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _is_lock_error(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _check_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite (or we) write anything to it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"cannot read the run store {path}: {error.strerror}") from error
    if not head:
        return  # an empty file is an empty SQLite database
    if not (head.startswith(SQLITE_MAGIC) or SQLITE_MAGIC.startswith(head)):
        raise StoreError(
            f"{path} is not an SQLite database (it does not start with 'SQLite format 3'); "
            "it was left untouched — move it away or set MNIST_TUI_HOME to another folder"
        )
    if len(head) < 100:
        raise StoreError(f"{path} is truncated ({len(head)} bytes, an SQLite header alone has 100); it was left untouched")


class RunStore:
    """A connection to the run store; thread-safe (one lock around one connection)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._writes = 0
        self.path = path
        self.models_dir = path.parent / paths.MODELS_FOLDER
        self.recovered: list[int] = []
        """Ids of runs this open found orphaned and marked interrupted."""

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | Path | None = None) -> "RunStore":
        """Open (creating, migrating and recovering as needed) the store at `path` or the home folder.

        Raises:
            StoreError: the file is foreign, truncated, damaged or from a newer version; it is not modified.
        """
        path = Path(path) if path is not None else paths.database_path()
        if path.is_dir():
            path = path / paths.DATABASE_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the run store folder {path.parent}: {error.strerror}") from error
        _check_file(path)
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the run store {path}: {error}") from error
        conn.row_factory = sqlite3.Row
        store = cls(conn, path)
        try:
            store._prepare()
        except sqlite3.Error as error:  # e.g. a read-only folder or file: WAL and schema need writes
            conn.close()
            raise StoreError(f"cannot use the run store {path}: {error}") from error
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        version = self._inspect()
        self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL"))
        self._conn.execute("PRAGMA foreign_keys = ON")
        if version < schema.CURRENT_VERSION:
            self._write(self._upgrade)
        self.recovered = self.recover_interrupted()

    def _inspect(self) -> int:
        """Read-only health check: integrity, schema version and our tables. Returns user_version."""
        try:
            problems = [row[0] for row in self._retry(lambda: self._conn.execute("PRAGMA quick_check").fetchall())]
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError as error:
            if "unable to open" not in str(error):
                raise StoreError(f"the run store {self.path} cannot be read ({error}); it was left untouched") from error
            raise StoreError(f"cannot open the run store {self.path}: {error}") from error
        except sqlite3.DatabaseError as error:
            raise StoreError(
                f"the run store {self.path} is damaged or truncated ({error}); it was left untouched — "
                "move it away to start a new history"
            ) from error
        if problems != ["ok"]:
            raise StoreError(
                f"the run store {self.path} failed its integrity check ({'; '.join(problems[:3])}); it was left untouched"
            )
        tables.discard("sqlite_sequence")
        if version > schema.CURRENT_VERSION:
            raise StoreError(
                f"the run store {self.path} has schema version {version}, newer than this program's "
                f"{schema.CURRENT_VERSION}; upgrade mnist-tui"
            )
        if (version == 0 and tables) or (version > 0 and not set(schema.TABLES) <= tables):
            raise StoreError(
                f"{self.path} is an SQLite database but not an mnist-tui run store "
                f"(schema version {version}, tables: {', '.join(sorted(tables)) or 'none'}); it was left untouched"
            )
        return version

    def _upgrade(self) -> None:
        # Re-read inside the write transaction: another process may have created or migrated it meanwhile.
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            schema.create(self._conn)
        elif version < schema.CURRENT_VERSION:
            schema.migrate(self._conn, version)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- plumbing
    def _retry(self, action: Callable[[], T]) -> T:
        """Run `action`, retrying while another process holds the database lock."""
        deadline = time.monotonic() + LOCK_RETRY_S
        delay = 0.01
        while True:
            try:
                return action()
            except sqlite3.OperationalError as error:
                if not _is_lock_error(error) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _write(self, action: Callable[[], T]) -> T:
        """Run `action` in one committed write transaction (retried whole when the database is locked)."""

        def attempt() -> T:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = action()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

        with self._lock:
            try:
                result = self._retry(attempt)
            except sqlite3.Error as error:
                raise StoreError(f"writing to the run store {self.path} failed: {error}") from error
            self._writes += 1
            return result

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cursor = self._retry(lambda: self._conn.execute(sql, params))
                return cursor.fetchall()
            except sqlite3.Error as error:
                raise StoreError(f"reading the run store {self.path} failed: {error}") from error

    # ------------------------------------------------------------------ writes
    def model_path(self, run_id: int) -> Path:
        """Where the model file of `run_id` belongs (``<home>/models/<id>.npz``)."""
        return self.models_dir / f"{run_id}.npz"

    def create_run(
        self, config: RunConfig, dataset_info: dict[str, Any], *, study_id: int | None = None,
        trial_key: str | None = None,
    ) -> int:
        """Record a new run as `running`, owned by this process. Returns its id.

        Args:
            config: the run's settings, stored as ``config.to_dict()``.
            dataset_info: provenance such as name, source kind and path, checksums and split sizes.
            study_id, trial_key: the study trial this run is (unique: see runs.study_store).
        """
        owner = current_owner()
        dataset = {"name": config.data.dataset, **dataset_info}

        def insert() -> int:
            cursor = self._conn.execute(
                """INSERT INTO runs (started_at, status, config, dataset_name, dataset, seed,
                                     pid, hostname, owner_started, study_id, trial_key)
                   VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    _now(), json.dumps(config.to_dict()), dataset["name"], json.dumps(dataset),
                    config.train.seed, owner.pid, owner.hostname, owner.started, study_id, trial_key,
                ),
            )
            return int(cursor.lastrowid)

        return self._write(insert)

    def add_epoch(self, run_id: int, record: dict[str, Any]) -> None:
        """Commit one finished epoch (an EpochRecord as a dict) of a run."""
        values = [record.get(c) for c in schema.EPOCH_COLUMNS]
        extra = {k: v for k, v in record.items() if k not in schema.EPOCH_COLUMNS}

        def insert() -> None:
            self._require(run_id)
            self._conn.execute(
                f"INSERT INTO epochs ({', '.join(schema.EPOCH_COLUMNS)}, run_id, extra) "
                f"VALUES ({', '.join('?' * (len(schema.EPOCH_COLUMNS) + 2))})",
                (*values, run_id, json.dumps(extra)),
            )

        self._write(insert)

    def finish_run(
        self,
        run_id: int,
        status: str,
        message: str = "",
        final: dict[str, Any] | None = None,
        confusion: list[list[int]] | None = None,
        model_path: str | Path | None = None,
    ) -> None:
        """Record how a run ended, its final metrics, confusion matrix and model file."""
        if status not in schema.STATUSES or status == "running":
            raise StoreError(f"status: got {status!r}, expected one of {', '.join(schema.STATUSES[1:])}")

        def update() -> None:
            self._require(run_id)
            self._conn.execute(
                """UPDATE runs SET status = ?, message = ?, ended_at = ?, final = ?, confusion = ?,
                                   model_path = ? WHERE id = ?""",
                (
                    status, message, _now(),
                    None if final is None else json.dumps(final),
                    None if confusion is None else json.dumps(confusion),
                    None if model_path is None else str(model_path), run_id,
                ),
            )

        self._write(update)

    def recover_interrupted(self) -> list[int]:
        """Mark `running` runs whose owner process is gone as `interrupted` (their epochs stay). Returns their ids."""
        rows = self._read("SELECT id, pid, hostname, owner_started FROM runs WHERE status = 'running'")
        orphans = [
            r["id"] for r in rows
            if r["pid"] is not None and is_alive(Owner(r["pid"], r["hostname"], r["owner_started"])) is False
        ]
        if not orphans:
            return []

        def update() -> None:
            for run_id in orphans:
                self._conn.execute(
                    """UPDATE runs SET status = 'interrupted', ended_at = ?,
                       message = 'the process running it ended without finishing (killed or crashed)'
                       WHERE id = ? AND status = 'running'""",
                    (_now(), run_id),
                )

        self._write(update)
        return orphans

    def delete_run(self, run_id: int) -> None:
        """Delete a run, its epochs and its model file. A run whose owner is still alive is refused."""
        record = self.get_run(run_id)
        if record.status == "running" and record.owner and is_alive(record.owner) is not False:
            raise StoreError(f"run {run_id} is still running (pid {record.owner.pid} on {record.owner.hostname}); cancel it first")
        self._write(lambda: self._conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)))
        for candidate in {self.model_path(run_id), *([Path(record.model_path)] if record.model_path else [])}:
            candidate.unlink(missing_ok=True)

    def _require(self, run_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UnknownRunError(run_id)

    # ------------------------------------------------------------------- reads
    def data_version(self) -> int:
        """A number that changes whenever any process commits to the store: cheap enough to poll every second."""
        with self._lock:
            row = self._retry(lambda: self._conn.execute("PRAGMA data_version").fetchone())
            return int(row[0]) + self._writes

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise UnknownRunError(run_id)
        return self._records(rows)[0]

    def list_runs(self) -> list[RunRecord]:
        """Every run, oldest first, each with its epochs."""
        return self._records(self._read("SELECT * FROM runs ORDER BY id"))

    def _records(self, rows: list[sqlite3.Row]) -> list[RunRecord]:
        ids = [row["id"] for row in rows]
        epochs: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            marks = ", ".join("?" * len(ids))
            for row in self._read(
                f"SELECT run_id, {', '.join(schema.EPOCH_COLUMNS)}, extra FROM epochs "
                f"WHERE run_id IN ({marks}) ORDER BY run_id, epoch",
                tuple(ids),
            ):
                record = {c: row[c] for c in schema.EPOCH_COLUMNS}
                record.update(json.loads(row["extra"]))
                epochs[row["run_id"]].append(record)
        out = []
        for r in rows:
            out.append(
                RunRecord(
                    id=r["id"], status=r["status"], message=r["message"], started_at=r["started_at"],
                    ended_at=r["ended_at"], config=json.loads(r["config"]), dataset=json.loads(r["dataset"]),
                    seed=r["seed"], final=json.loads(r["final"]) if r["final"] else None,
                    confusion=json.loads(r["confusion"]) if r["confusion"] else None,
                    model_path=r["model_path"],
                    owner=Owner(r["pid"], r["hostname"], r["owner_started"]) if r["pid"] is not None else None,
                    epochs=epochs[r["id"]], study_id=r["study_id"], trial_key=r["trial_key"],
                )
            )
        return out
