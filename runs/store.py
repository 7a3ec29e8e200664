"""The run store: every run's config, data provenance, per-epoch metrics, results and model file, in SQLite.

One database file (WAL mode) in the home folder (`runs.paths`), models beside it in
``models/<id>.npz``. Any number of processes may read and write at once: every write is a
short ``BEGIN IMMEDIATE`` transaction, a busy database is waited for and retried, and each
epoch is committed as it ends so a crash loses at most the epoch in progress.

Opening never writes to a file before it has been recognised as a healthy mnist-tui store
(`runs.store_open`), and writes nothing a reader does not need: when the disk is full or the
folder read-only, the store is read through a snapshot and every write says why it cannot be
made — except deleting a run on a full disk, which first frees the space its model file holds.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from runs import open_stores, paths, schema
from runs.config import RunConfig
from runs.owner import Owner, current_owner, is_alive
from runs.rows import RunRecord, build_record
from runs.store_errors import DamagedRunError, StoreError, UnknownRunError, disk_full, why_not_writable
from runs.store_files import check_file_types, remove_quietly, stale_temp_files
from runs.store_open import Snapshot, check_header, inspect

__all__ = ["Changes", "DamagedRunError", "RunRecord", "RunStore", "StoreError", "UnknownRunError"]

BUSY_TIMEOUT_S = 10.0
LOCK_RETRY_S = 120.0
"""How long a write keeps retrying a locked database before giving up with StoreError."""

T = TypeVar("T")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _is_lock_error(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _connect_for_writing(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)


@dataclass(frozen=True)
class Changes:
    """What `RunStore.changes_since` found: the runs as they are now and the ids deleted."""

    seq: int
    """Ask from here next time."""
    runs: list[RunRecord]
    deleted: list[int]
    more: bool
    """The limit was reached: more changes wait (call again with `seq` at once)."""


class RunStore:
    """A connection to the run store; thread-safe (one lock around one connection)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, snapshot: Snapshot | None = None) -> None:
        conn.row_factory = sqlite3.Row
        self._conn = conn
        self._snapshot = snapshot
        """Set while the store is read through a snapshot because it cannot be written (see `notice`)."""
        self._open_key: tuple[int, int] | None = None
        """This file's key in runs.open_stores while the connection is open."""
        self._lock = threading.RLock()
        self._writes = 0
        self._batch = False
        """Inside `batch()`: writes join its one transaction."""
        self._wal = False
        self.path = path
        self.models_dir = path.parent / paths.MODELS_FOLDER
        self.recovered: list[int] = []
        """Ids of runs this open found orphaned and marked interrupted."""
        self.notice: str | None = None
        """Why this open could not write (a full disk, a read-only folder): reading works, writes will say so."""

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | Path | None = None) -> "RunStore":
        """Open (creating, migrating and recovering as needed) the store at `path` or the home folder.

        `path` is the database file, or a folder to hold ``runs.sqlite3``.

        Raises:
            StoreError: the file is foreign, truncated, damaged, of an odd type or from a newer
                version (it is not modified), or a new store cannot be created.
        """
        if path is None:
            path = paths.database_path()
        else:
            path = Path(path)
            if path.is_dir():
                path = path / paths.DATABASE_NAME
        check_file_types(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the run store folder {path.parent}: {error.strerror}") from error
        if open_stores.is_open_here(path):
            # Checked when this process first opened it; reading it with plain I/O now would drop
            # the SQLite locks of the connection that is open (see runs.open_stores).
            store = cls._open_current(path)
        else:
            check_header(path)
            try:
                version = inspect(path)
            except StoreError:
                # A writer checkpointing while the file (or its log) was being read can make a healthy
                # store look torn for that instant: a refusal is only believed when it happens twice.
                time.sleep(0.05)
                version = inspect(path)
            if version < schema.CURRENT_VERSION:
                store = cls._create_or_migrate(path)
            else:
                store = cls._open_current(path)
        store._open_key = open_stores.opened(path)
        try:
            store.recover()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _create_or_migrate(cls, path: Path) -> "RunStore":
        """A new or older store must be written before use; the migration is one transaction, so a
        failure (a read-only folder, a full disk) leaves the file as it was."""
        try:
            conn = _connect_for_writing(path)
        except sqlite3.Error as error:
            raise StoreError(f"cannot create the run store {path}: {why_not_writable(path, error)}") from error
        store = cls(conn, path)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            store._write(store._upgrade)
        except StoreError:
            conn.close()
            raise
        except sqlite3.Error as error:
            conn.close()
            raise StoreError(f"cannot set up the run store {path}: {why_not_writable(path, error)}") from error
        return store

    @classmethod
    def _open_current(cls, path: Path) -> "RunStore":
        """A healthy current store: read it normally, or through a snapshot when SQLite cannot
        create its log files (a full disk, a read-only folder)."""
        conn = _connect_for_writing(path)
        try:
            cls._probe(conn)
        except sqlite3.Error as error:
            conn.close()
            try:
                snapshot = Snapshot(path)
            except sqlite3.Error as read_error:
                raise StoreError(f"cannot read the run store {path}: {read_error} ({why_not_writable(path, error)})") from error
            store = cls(snapshot.conn, path, snapshot)
            store.notice = f"{why_not_writable(path, error)}: the history can be read, but no run can be recorded"
            return store
        conn.execute("PRAGMA foreign_keys = ON")
        return cls(conn, path)

    @staticmethod
    def _probe(conn: sqlite3.Connection) -> None:
        """The first read of a WAL store creates its -wal and -shm files: fail here, not later."""
        deadline = time.monotonic() + LOCK_RETRY_S
        while True:
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return
            except sqlite3.OperationalError as error:
                if not _is_lock_error(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _upgrade(self) -> None:
        # Re-read inside the write transaction: another process may have created or migrated it meanwhile.
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            schema.create(self._conn)
        elif version < schema.CURRENT_VERSION:
            schema.migrate(self._conn, version)

    def recover(self) -> None:
        """Mark orphaned runs interrupted and remove temporary model files of dead writers.

        Both are repairs, not needs: when the store cannot be written they wait for a later open.
        """
        if self._snapshot is not None:
            return
        try:
            self.recovered = self.recover_interrupted()
            self.remove_stale_temp_files()
        except StoreError as error:
            self.notice = str(error)

    def remove_stale_temp_files(self, run_id: int | None = None) -> list[Path]:
        """Delete ``models/.<id>.npz.*.tmp`` files whose run is not being trained by a live process."""
        running: dict[int, Owner | None] = {}
        for row in self._read("SELECT id, pid, hostname, owner_started FROM runs WHERE status = 'running'"):
            owner = None
            if isinstance(row["pid"], int) and isinstance(row["hostname"], str):
                owner = Owner(row["pid"], row["hostname"], row["owner_started"])
            running[row["id"]] = owner

        def still_writing(run: int) -> bool:
            if run not in running:
                return False
            owner = running[run]
            return owner is None or is_alive(owner) is not False

        return remove_quietly(stale_temp_files(self.models_dir, still_writing, run_id))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._snapshot is not None:
                self._snapshot.close()
            open_stores.closed(self._open_key)
            self._open_key = None

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
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise
            return result

        with self._lock:
            if self._batch:
                return action()
            self._writable()
            try:
                result = self._retry(attempt)
            except sqlite3.Error as error:
                raise StoreError(f"writing to the run store {self.path} failed: {why_not_writable(self.path, error)}") from error
            self._writes += 1
            self._use_wal()
            return result

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Make every write inside one transaction, committed at the end (rolled back on an error):
        the same writes, without a disk flush each — for building large stores (bench/bench_scale.py)."""
        with self._lock:
            self._writable()
            try:
                self._retry(lambda: self._conn.execute("BEGIN IMMEDIATE"))
                self._batch = True
                try:
                    yield
                    self._conn.execute("COMMIT")
                finally:
                    self._batch = False
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
            except sqlite3.Error as error:
                raise StoreError(f"writing to the run store {self.path} failed: {why_not_writable(self.path, error)}") from error
            self._writes += 1
            self._use_wal()

    def _use_wal(self) -> None:
        """Switch to WAL once, after the first write succeeded: many processes read and write at
        once in WAL mode, and a store never written by this program keeps its mode (and bytes)."""
        if self._wal:
            return
        with contextlib.suppress(sqlite3.Error):  # still correct in rollback mode, only less concurrent
            if self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL"))
            self._wal = True

    def _writable(self) -> None:
        """Leave the snapshot for a real connection if writing has become possible (space freed)."""
        if self._snapshot is None:
            return
        conn = _connect_for_writing(self.path)
        try:
            self._probe(conn)
        except sqlite3.Error as error:
            conn.close()
            raise StoreError(f"cannot write to the run store {self.path}: {why_not_writable(self.path, error)}") from error
        self._snapshot.close()
        self._snapshot, self.notice, self._wal = None, None, False
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        self._conn = conn

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
                    None if model_path is None else self._model_name(run_id, model_path), run_id,
                ),
            )

        self._write(update)

    def _model_name(self, run_id: int, model_path: str | Path) -> str:
        """What a row stores: the file's name in the models folder, which must be the run's own."""
        if Path(model_path) != self.model_path(run_id):
            raise StoreError(f"model_path: got {model_path}, expected {self.model_path(run_id)}")
        return self.model_path(run_id).name

    def recover_interrupted(self) -> list[int]:
        """Mark `running` runs whose owner process is gone as `interrupted` (their epochs stay). Returns their ids."""
        rows = self._read("SELECT id, pid, hostname, owner_started FROM runs WHERE status = 'running'")
        orphans = [
            r["id"] for r in rows
            if isinstance(r["pid"], int) and isinstance(r["hostname"], str)  # damaged owners stay as they are
            and is_alive(Owner(r["pid"], r["hostname"], r["owner_started"])) is False
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
        """Delete a run, its epochs, its model file and stale temporary files. A run whose owner is
        still alive is refused. A damaged run can be deleted (that is how it is cleared away).

        Only ``models/<id>.npz`` of this store is removed (a link there is removed, not its
        target), whatever the row says. On a full disk the model file goes first, to make room.
        """
        record = self.get_run(run_id)
        if record.status == "running" and record.owner and is_alive(record.owner) is not False:
            raise StoreError(f"run {run_id} is still running (pid {record.owner.pid} on {record.owner.hostname}); cancel it first")

        def delete() -> None:
            self._conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        try:
            self._write(delete)
        except StoreError as error:
            if not disk_full(self.path.parent, error.__cause__):
                raise
            remove_quietly([self.model_path(run_id)])
            self._write(delete)
        remove_quietly([self.model_path(run_id)])
        self.remove_stale_temp_files(run_id)

    def _require(self, run_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UnknownRunError(run_id)

    # ------------------------------------------------------------------- reads
    def data_version(self) -> int:
        """A number that changes whenever any process commits to the store: cheap enough to poll every second."""
        with self._lock:
            try:
                row = self._retry(lambda: self._conn.execute("PRAGMA data_version").fetchone())
            except sqlite3.Error as error:
                raise StoreError(f"reading the run store {self.path} failed: {error}") from error
            return int(row[0]) + self._writes

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise UnknownRunError(run_id)
        return self._records(rows)[0]

    def usable_run(self, run_id: int) -> RunRecord:
        """`get_run` for showing, comparing, exporting or predicting: a damaged run is refused.

        Raises:
            DamagedRunError: naming the run and what is wrong with it.
        """
        record = self.get_run(run_id)
        if record.damaged:
            raise DamagedRunError(record)
        return record

    def list_runs(self) -> list[RunRecord]:
        """Every run, oldest first, each with its epochs (small stores; see `runs_page` and `changes_since`)."""
        return self._records(self._read("SELECT * FROM runs ORDER BY id"))

    def run_count(self) -> int:
        return int(self._read("SELECT count(*) FROM runs")[0][0])

    def runs_page(self, limit: int, *, offset: int = 0, before_id: int | None = None) -> list[RunRecord]:
        """At most `limit` runs, newest first, skipping `offset` of them or starting below `before_id`.

        Both walk the runs' primary key, so a page costs the same in a store of 100 or 100,000 runs
        (an offset costs a little per skipped row; `before_id` nothing).
        """
        below = "" if before_id is None else "WHERE id < ?"
        params = (() if before_id is None else (before_id,)) + (limit, offset)
        return self._records(self._read(f"SELECT * FROM runs {below} ORDER BY id DESC LIMIT ? OFFSET ?", params))

    def change_seq(self) -> int:
        """The store-wide change counter: every write to a run or its epochs raises it (schema v4 triggers)."""
        return int(self._read("SELECT seq FROM changes")[0][0])

    def changes_since(self, seq: int, limit: int = 1000) -> Changes:
        """Runs written (created, updated, an epoch added) and ids deleted after change `seq`, in the
        order they changed, at most `limit` runs; ask again from `Changes.seq` while `more` is set.

        The counter is read first and only changes up to it are returned, so a write committed
        meanwhile is left for the next call, never skipped. A run whose stamp is not a number
        (a hand-edited store) is left out here; full reads (`runs_page`) still show it, damaged.
        """
        now = self.change_seq()
        rows = self._read(
            "SELECT * FROM runs WHERE change_seq > ? AND change_seq <= ? AND typeof(change_seq) = 'integer' "
            "ORDER BY change_seq LIMIT ?", (seq, now, limit),
        )
        more = len(rows) == limit
        upto = int(rows[-1]["change_seq"]) if more else now
        deleted = [int(r[0]) for r in self._read(
            "SELECT id FROM deleted_runs WHERE change_seq > ? AND change_seq <= ? ORDER BY change_seq", (seq, upto)
        )]
        return Changes(upto, self._records(rows), deleted, more)

    def vacuum(self) -> tuple[int, int]:
        """Give the space of deleted runs back to the file system: SQLite keeps freed pages for reuse
        until VACUUM rewrites the file. Returns the file's size before and after, in bytes.

        Explicit (``mnist-tui runs vacuum``), not after each delete: rewriting a store of 100,000
        runs takes seconds and holds every writer off meanwhile.
        """
        before = self.path.stat().st_size

        def run() -> None:
            with self._lock:
                self._writable()
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        try:
            self._retry(run)
        except sqlite3.Error as error:
            raise StoreError(f"compacting the run store {self.path} failed: {why_not_writable(self.path, error)}") from error
        return before, self.path.stat().st_size

    def _records(self, rows: list[sqlite3.Row]) -> list[RunRecord]:
        """Records of `rows` with their epochs; a damaged row becomes a damaged record (see runs.rows)."""
        ids = [row["id"] for row in rows]
        epochs: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
        if ids:
            marks = ", ".join("?" * len(ids))
            for row in self._read(
                f"SELECT run_id, {', '.join(schema.EPOCH_COLUMNS)}, extra FROM epochs "
                f"WHERE run_id IN ({marks}) ORDER BY run_id, epoch",
                tuple(ids),
            ):
                epochs[row["run_id"]].append(row)
        return [build_record(r, epochs[r["id"]], self.models_dir) for r in rows]
