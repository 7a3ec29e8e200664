"""Which store files this process already has open, so a second open never reads them with plain I/O.

SQLite's locks on a database file are POSIX advisory locks, which belong to the process: closing
*any* descriptor of the file releases all of them (sqlite.org/howtocorrupt.html, 2.2). Opening
the file with Python's ``open()`` to check its header, or copying it for a snapshot, while a
connection of this process holds it would drop that connection's locks, and a writer in another
process could then checkpoint under it ("database disk image is malformed"). A file this process
already opened was checked then, so a second open goes straight to SQLite, whose own VFS shares
one set of locks between the connections of a process.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

_open: Counter[tuple[int, int]] = Counter()
_lock = threading.Lock()


def file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of `path`, or None when it does not exist yet."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def is_open_here(path: Path) -> bool:
    key = file_id(path)
    with _lock:
        return key is not None and _open[key] > 0


def opened(path: Path) -> tuple[int, int] | None:
    """Record that a connection of this process holds `path`; returns the key to pass to `closed`."""
    key = file_id(path)
    if key is not None:
        with _lock:
            _open[key] += 1
    return key


def closed(key: tuple[int, int] | None) -> None:
    if key is not None:
        with _lock:
            _open[key] -= 1
            if _open[key] <= 0:
                del _open[key]
