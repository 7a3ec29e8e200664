"""A second open of a store in a process that already holds it must not drop SQLite's locks.

POSIX locks belong to the process: if opening the store again read its file with plain I/O and
closed it, the first connection would lose its shared lock, and another process closing its last
connection would checkpoint and delete the write-ahead log under it (what corrupted a store when
the dashboard's connection stayed open while a study resumed in another process).
"""

from __future__ import annotations

import subprocess
import sys

from runs.store import RunStore

WRITE_AND_CLOSE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("BEGIN IMMEDIATE"); conn.execute("UPDATE runs SET message = 'x' WHERE 0"); conn.execute("COMMIT")
conn.execute("CREATE TABLE IF NOT EXISTS t (x)"); conn.execute("INSERT INTO t VALUES (1)")
conn.close()
"""


def test_a_second_open_keeps_the_first_connections_locks(tmp_path):
    first = RunStore.open(tmp_path)
    try:
        first.list_runs()  # a read: the first connection holds the database in WAL mode
        wal = first.path.with_name(first.path.name + "-wal")
        RunStore.open(tmp_path).close()
        subprocess.run([sys.executable, "-c", WRITE_AND_CLOSE, str(first.path)], check=True, timeout=60)
        # With our shared lock intact the other process was not the last connection, so it could
        # not checkpoint and delete the log; with the lock dropped, the log would be gone.
        assert wal.exists(), "another process deleted the write-ahead log under an open connection"
        assert first._read("PRAGMA quick_check")[0][0] == "ok"
    finally:
        first.close()
