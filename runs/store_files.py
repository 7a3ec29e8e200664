"""Files beside the run store: what may stand at its path, and stale temporary model files.

A FIFO at the store's path would block every command in open(); a directory there would
silently get a store created inside it. Both are refused before anything opens the path.

A model is saved as ``models/.<id>.npz.XXXXXXXX.tmp`` and renamed into place; a writer killed
mid-save leaves the temporary file (tens of MB) behind. It is stale once the run's owner is no
longer running it: the run is gone, finished, or its process is dead.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Callable

from runs.store_errors import StoreError

SIDE_FILES = ("-wal", "-shm", "-journal")
TEMP_MODEL = re.compile(r"^\.(\d+)\.npz\.[^/]+\.tmp$")

_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
)


def check_file_types(database: Path) -> None:
    """Refuse a store path (or its -wal/-shm/-journal) that exists but is not a regular file."""
    for candidate in (database, *(database.with_name(database.name + s) for s in SIDE_FILES)):
        try:
            mode = candidate.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # nothing there (or no folder yet): open() creates or reports it
        except OSError as error:
            raise StoreError(f"cannot use the run store {candidate}: {error.strerror}") from error
        if stat.S_ISREG(mode):
            continue
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise StoreError(
            f"the run store {candidate} is {kind}, not a database file; it was left untouched — "
            "move it away or set MNIST_TUI_HOME to another folder"
        )


def stale_temp_files(models_dir: Path, still_writing: Callable[[int], bool], run_id: int | None = None) -> list[Path]:
    """Temporary model files in `models_dir` (of `run_id` only, if given) whose writer is gone."""
    try:
        entries = list(models_dir.iterdir())
    except OSError:
        return []
    stale = []
    for entry in entries:
        match = TEMP_MODEL.match(entry.name)
        if not match or (run_id is not None and int(match.group(1)) != run_id):
            continue
        try:
            regular = stat.S_ISREG(entry.lstat().st_mode)
        except OSError:
            continue
        if regular and not still_writing(int(match.group(1))):
            stale.append(entry)
    return stale


def remove_quietly(paths: list[Path]) -> list[Path]:
    """Unlink each path (a link itself, never its target); returns those removed."""
    removed = []
    for path in paths:
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
