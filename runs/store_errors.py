"""The run store's errors, and why a write failed said in words: a full disk or a read-only folder.

SQLite reports both as generic codes ("disk I/O error", "unable to open database file",
"attempt to write a readonly database"); the file system says which it is.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

FILE_SYSTEM_CODES = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
"""SQLite's primary result codes for failures the file system may explain."""
LOW_SPACE_BYTES = 64 * 1024
"""Below this much free space, a failed write is put down to a full disk."""


class StoreError(Exception):
    """The store cannot be used or asked for something it lacks; str() is a user-ready message."""


class UnknownRunError(StoreError):
    def __init__(self, run_id: Any) -> None:
        super().__init__(f"no run with id {run_id!r} in the run store")
        self.run_id = run_id


class DamagedRunError(StoreError):
    """A run's row is damaged: it can be listed (as damaged) and deleted, nothing else."""

    def __init__(self, record: Any) -> None:
        super().__init__(f"{record.describe_damage()} — `mnist-tui runs delete {record.id}` removes it")
        self.record = record


def disk_full(folder: Path, error: BaseException | None = None) -> bool:
    if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < LOW_SPACE_BYTES


def read_only(folder: Path, database: Path | None = None) -> bool:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return True
    return database is not None and database.exists() and not os.access(database, os.W_OK)


def why_not_writable(database: Path, error: BaseException) -> str:
    """What stops writes to `database`, for a message: the disk, the folder, or SQLite's own words."""
    folder = database.parent
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF not in FILE_SYSTEM_CODES:
        return str(error)  # e.g. a constraint: nothing to do with the disk
    if disk_full(folder, error):
        return f"the disk holding {folder} is full — free some space (deleting runs frees their model files)"
    if read_only(folder, database):
        return f"the folder {folder} (or the store file in it) is read-only"
    return str(error)
