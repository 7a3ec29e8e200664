"""A file that is not a healthy run store is refused with its path named, and never modified."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from runs.store import RunStore, StoreError
from runs_test_helpers import DATASET_INFO, epoch_record, small_config


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_refused(path: Path, match: str) -> None:
    before = _digest(path)
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(StoreError, match=match) as info:
        RunStore.open(path)
    assert str(path) in str(info.value)
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings


def _real_store(path: Path, runs: int = 40) -> None:
    with RunStore.open(path) as store:
        for seed in range(runs):
            run_id = store.create_run(small_config(seed), {**DATASET_INFO, "padding": "x" * 2000})
            for epoch in range(1, 4):
                store.add_epoch(run_id, epoch_record(epoch))
            store.finish_run(run_id, "completed")


def test_truncated_store_is_refused_untouched(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _real_store(path)
    data = path.read_bytes()
    assert len(data) > 8 * 4096
    path.write_bytes(data[: len(data) // 2])
    _assert_refused(path, "damaged or truncated")


@pytest.mark.parametrize("size", [10, 60])
def test_store_cut_inside_its_header_is_refused(tmp_path, size):
    path = tmp_path / "runs.sqlite3"
    _real_store(path, runs=1)
    path.write_bytes(path.read_bytes()[:size])
    _assert_refused(path, "truncated")


def test_foreign_file_is_refused_untouched(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.write_text("these are my notes, not a database\n" * 50)
    _assert_refused(path, "not an SQLite database")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "runs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    conn.commit()
    conn.close()
    _assert_refused(path, "not an mnist-tui run store .*tables: invoices")


def test_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _real_store(path, runs=1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    _assert_refused(path, "schema version 99, newer")


def test_an_empty_file_becomes_a_new_store(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.touch()
    with RunStore.open(path) as store:
        assert store.list_runs() == []


def test_home_that_is_a_file_gives_a_clear_error(tmp_path):
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("x")
    with pytest.raises(StoreError, match=f"cannot create the run store folder {not_a_folder}"):
        RunStore.open(not_a_folder / "runs.sqlite3")
    assert not_a_folder.read_text() == "x"


def _pending_log(path: Path, *statements: str) -> None:
    """Commit `statements` in a child that dies without checkpointing, as a killed writer would."""
    import subprocess
    import sys

    script = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "for statement in sys.argv[2:]:\n"
        "    conn.execute(statement)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), *statements], check=True)


def _files(path: Path) -> dict[str, str | None]:
    return {
        suffix: _digest(Path(f"{path}{suffix}")) if Path(f"{path}{suffix}").exists() else None
        for suffix in ("", "-wal", "-shm")
    }


@pytest.mark.parametrize("statements, match", [
    (["PRAGMA user_version = 99"], "schema version 99, newer"),
    (["ALTER TABLE runs DROP COLUMN message"], "table runs lacks the column message"),
    (["ALTER TABLE epochs DROP COLUMN val_acc"], "table epochs lacks the column val_acc"),
])
def test_refusing_a_store_with_a_pending_log_changes_none_of_its_files(tmp_path, statements, match):
    path = tmp_path / "runs.sqlite3"
    _real_store(path, runs=2)
    _pending_log(path, *statements)
    before = _files(path)
    assert before["-wal"] is not None and before["-shm"] is not None
    for _ in range(2):
        with pytest.raises(StoreError, match=match):
            RunStore.open(path)
    assert _files(path) == before


def test_refusal_without_an_index_file_creates_none(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _real_store(path, runs=1)
    _pending_log(path, "PRAGMA user_version = 99")
    Path(f"{path}-shm").unlink()
    before = _files(path)
    with pytest.raises(StoreError, match="newer"):
        RunStore.open(path)
    assert _files(path) == before


def test_commits_still_in_the_log_of_a_killed_writer_are_seen(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _real_store(path, runs=1)
    _pending_log(path, "UPDATE runs SET message = 'only in the log' WHERE id = 1")
    with RunStore.open(path) as store:
        assert store.get_run(1).message == "only in the log"


def test_a_fifo_at_the_store_path_is_refused_without_waiting(tmp_path):
    import os
    import signal

    path = tmp_path / "runs.sqlite3"
    os.mkfifo(path)

    class Hang(BaseException):  # not an OSError, which open() might catch and report
        pass

    def hang(signum, frame):
        raise Hang("RunStore.open waited on the FIFO")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        with pytest.raises(StoreError, match=r"runs.sqlite3 is a FIFO \(named pipe\), not a database file"):
            RunStore.open(path)
        os.mkfifo(f"{path}-wal")
        path.unlink()
        with pytest.raises(StoreError, match="runs.sqlite3-wal is a FIFO"):
            RunStore.open(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_directory_at_the_store_path_is_refused_not_filled(mnist_tui_home):
    (mnist_tui_home / "runs.sqlite3").mkdir(parents=True)
    with pytest.raises(StoreError, match="runs.sqlite3 is a directory, not a database file"):
        RunStore.open()
    assert list((mnist_tui_home / "runs.sqlite3").iterdir()) == []
