"""Looking at a store file without changing it, and deciding whether it may be opened for writing.

Even SQLite's read-only mode (``mode=ro``) writes: it rebuilds the write-ahead log's index in
the ``-shm`` file (creating it if absent), so a store refused that way would no longer be
byte-identical. ``immutable=1`` writes nothing but ignores the ``-wal`` file, where the newest
commits of a store whose writer was killed still live. So a store is looked at through a
`snapshot`: the file itself opened immutable when it has no pending log, else a private copy
of the file and its log in a temporary folder, where SQLite may do as it likes. An older store is
migrated in such a copy first, so one the migration would fail on is refused without being opened
for writing (a failed migration rolls back, but closing the connection would merge a pending log).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from functools import lru_cache
from pathlib import Path

from runs import schema
from runs.store_errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
ROW_LEVEL = ("CHECK constraint failed", "NULL value in")
"""quick_check findings about single rows' values, which runs.rows reports per run instead."""


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + "-wal")


def has_pending_log(database: Path) -> bool:
    try:
        return wal_path(database).stat().st_size > 0
    except OSError:
        return False


def check_header(path: Path) -> None:
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


def immutable_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro&immutable=1"


class Snapshot(contextlib.AbstractContextManager):
    """A connection to what `database` holds that cannot change it, its log or its index.

    With `private=True` it is always a copy, which may be written (to rehearse a migration).
    """

    def __init__(self, database: Path, private: bool = False) -> None:
        self.database = database
        self._folder: tempfile.TemporaryDirectory | None = None
        self.conn = self._copy() if private else self._connect()

    def _copy(self) -> sqlite3.Connection:
        self._folder = tempfile.TemporaryDirectory(prefix="mnist-tui-store-")
        copy = Path(self._folder.name) / self.database.name
        shutil.copyfile(self.database, copy)
        if has_pending_log(self.database):
            shutil.copyfile(wal_path(self.database), wal_path(copy))
        return sqlite3.connect(copy, isolation_level=None, check_same_thread=False)

    def _connect(self) -> sqlite3.Connection:
        if has_pending_log(self.database):
            try:
                return self._copy()
            except OSError:  # no room for a copy: the file alone, without its newest commits
                self.close()
        return sqlite3.connect(immutable_uri(self.database), uri=True, isolation_level=None, check_same_thread=False)

    def close(self) -> None:
        if hasattr(self, "conn"):
            self.conn.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __exit__(self, *exc: object) -> None:
        self.close()


@lru_cache(maxsize=1)
def expected_columns() -> dict[str, tuple[str, ...]]:
    """Each table's columns as the current schema creates them (so a new schema version needs no list here)."""
    conn = sqlite3.connect(":memory:")
    try:
        schema.create(conn)
        return {t: tuple(r[1] for r in conn.execute(f"PRAGMA table_info({t})")) for t in schema.TABLES}
    finally:
        conn.close()


def inspect(database: Path) -> int:
    """Check the store read-only: integrity, schema version, tables and columns. Returns user_version.

    Raises:
        StoreError: the file is damaged, foreign or from a newer version (it is unchanged).
    """
    if not database.exists() or database.stat().st_size == 0:
        return 0
    try:
        with Snapshot(database) as snap:
            return _verdict(database, snap.conn)
    except sqlite3.OperationalError as error:
        raise StoreError(f"the run store {database} cannot be read ({error}); it was left untouched") from error
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"the run store {database} is damaged or truncated ({error}); it was left untouched — "
            "move it away to start a new history"
        ) from error


def _verdict(database: Path, conn: sqlite3.Connection) -> int:
    # A read-only connection's quick_check skips CHECK and NOT NULL constraints, a writable one's
    # does not: leave both to the row-by-row validation (runs.rows), so every path decides alike.
    problems = [
        row[0] for row in conn.execute("PRAGMA quick_check").fetchall()
        if row[0] != "ok" and not row[0].startswith(ROW_LEVEL)
    ]
    if problems:
        raise StoreError(
            f"the run store {database} failed its integrity check ({'; '.join(problems[:3])}); it was left untouched"
        )
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables.discard("sqlite_sequence")
    if version > schema.CURRENT_VERSION:
        raise StoreError(
            f"the run store {database} has schema version {version}, newer than this program's "
            f"{schema.CURRENT_VERSION}; upgrade mnist-tui (the store was left untouched)"
        )
    if (version == 0 and tables) or (version > 0 and not set(schema.TABLES) <= tables):
        raise StoreError(
            f"{database} is an SQLite database but not an mnist-tui run store "
            f"(schema version {version}, tables: {', '.join(sorted(tables)) or 'none'}); it was left untouched"
        )
    if version == schema.CURRENT_VERSION:
        _check_columns(database, conn)
    elif version > 0:
        _rehearse_migration(database, version)
    return version


def _check_columns(database: Path, conn: sqlite3.Connection, upgraded: str = "") -> None:
    for table, columns in expected_columns().items():
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        missing = [c for c in columns if c not in present]
        if missing:
            raise StoreError(
                f"the run store {database} is damaged: table {table} lacks the column"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}{upgraded}; it was left untouched — "
                "move it away to start a new history"
            )


def _rehearse_migration(database: Path, version: int) -> None:
    """Migrate a private copy first (then throw it away): a store the migration would fail on, or
    leave without a column, is refused before the real file is opened for writing."""
    try:
        scratch = Snapshot(database, private=True)
    except OSError:
        return  # no room for a copy: the real migration is one transaction and rolls back alike
    with scratch:
        try:
            scratch.conn.execute("BEGIN IMMEDIATE")
            schema.migrate(scratch.conn, version)
            _check_columns(database, scratch.conn, f" once upgraded from schema version {version}")
        except sqlite3.Error as error:
            raise StoreError(
                f"the run store {database} (schema version {version}) cannot be upgraded to version "
                f"{schema.CURRENT_VERSION} ({error}); it was left untouched — move it away to start a new history"
            ) from error
