"""The store's change counter (schema v4): a reader reads only what changed since its last read."""

from __future__ import annotations

import sqlite3

from runs.schema import _v4_to_v5
from runs.store import RunStore
from runs_test_helpers import DATASET_INFO, epoch_record, small_config


def _run(store: RunStore, epochs: int = 0) -> int:
    run_id = store.create_run(small_config(), DATASET_INFO)
    for epoch in range(1, epochs + 1):
        store.add_epoch(run_id, epoch_record(epoch))
    return run_id


def _done(store: RunStore, epochs: int = 0) -> int:
    run_id = _run(store, epochs)
    store.finish_run(run_id, "completed")
    return run_id


def test_only_runs_written_since_a_read_are_returned(tmp_path):
    with RunStore.open(tmp_path) as store:
        first, second, third = _done(store, 2), _run(store, 1), _run(store)
        everything = store.changes_since(0)
        assert [r.id for r in everything.runs] == [first, second, third] and not everything.more
        assert store.changes_since(everything.seq).runs == []

        store.add_epoch(second, epoch_record(2))
        changed = store.changes_since(everything.seq)
        assert [r.id for r in changed.runs] == [second] and len(changed.runs[0].epochs) == 2

        store.finish_run(third, "completed", final={"test_acc": 0.9})
        store.delete_run(first)
        later = store.changes_since(changed.seq)
        assert [r.id for r in later.runs] == [third] and later.runs[0].status == "completed"
        assert later.deleted == [first]
        assert store.changes_since(later.seq).runs == [] and store.changes_since(later.seq).deleted == []


def test_a_write_by_another_connection_is_seen(tmp_path):
    """Triggers stamp the rows whatever code writes them, so other programs' writes count too."""
    with RunStore.open(tmp_path) as store:
        run_id = _run(store, 1)
        seq = store.changes_since(0).seq
        conn = sqlite3.connect(store.path)
        conn.execute("UPDATE runs SET message = 'edited elsewhere' WHERE id = ?", (run_id,))
        conn.commit()
        conn.close()
        changed = store.changes_since(seq)
        assert [r.message for r in changed.runs] == ["edited elsewhere"]


def test_changes_come_in_pages_that_miss_nothing(tmp_path):
    with RunStore.open(tmp_path) as store:
        ids = [_run(store) for _ in range(7)]
        seen, seq, calls = [], 0, 0
        while True:
            page = store.changes_since(seq, limit=3)
            seen += [r.id for r in page.runs]
            seq, calls = page.seq, calls + 1
            if not page.more:
                break
        assert seen == ids and calls == 3


def test_pages_of_runs_are_newest_first(tmp_path):
    with RunStore.open(tmp_path) as store:
        ids = [_run(store) for _ in range(5)]
        assert [r.id for r in store.runs_page(2)] == ids[::-1][:2]
        assert [r.id for r in store.runs_page(2, offset=2)] == ids[::-1][2:4]
        assert [r.id for r in store.runs_page(10, before_id=ids[2])] == ids[:2][::-1]
        assert store.run_count() == 5


def test_a_version_4_store_gains_change_tracking_with_every_run_stamped(tmp_path):
    """The v4 -> v5 step on its own (so it can be renumbered): old runs are read by a first
    `changes_since(0)` and writes after it are tracked."""
    conn = sqlite3.connect(tmp_path / "v4.sqlite3")
    conn.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT);
        CREATE TABLE epochs (run_id INTEGER, epoch INTEGER);
        INSERT INTO runs (message) VALUES ('a'), ('b'), ('c');
        DELETE FROM runs WHERE id = 2;
    """)
    _v4_to_v5(conn)
    assert conn.execute("SELECT id, change_seq FROM runs ORDER BY id").fetchall() == [(1, 1), (3, 3)]
    assert conn.execute("SELECT seq FROM changes").fetchall() == [(3,)]
    conn.execute("INSERT INTO epochs VALUES (1, 1)")
    assert conn.execute("SELECT change_seq FROM runs WHERE id = 1").fetchone() == (4,)


def test_deleting_and_vacuum_give_space_back(tmp_path):
    with RunStore.open(tmp_path) as store:
        ids = [_done(store, 5) for _ in range(200)]
        for run_id in ids:
            store.delete_run(run_id)
        before, after = store.vacuum()
        assert after < before
        assert store.run_count() == 0 and _run(store) == ids[-1] + 1  # still usable, ids never reused


def test_a_batch_is_one_transaction_and_an_error_keeps_none_of_it(tmp_path):
    with RunStore.open(tmp_path) as store:
        with store.batch():
            ids = [_done(store, 2) for _ in range(3)]
        assert [len(r.epochs) for r in store.runs_page(10)] == [2, 2, 2]
        try:
            with store.batch():
                _run(store, 1)
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        assert [r.id for r in store.runs_page(10)] == ids[::-1]
        assert [r.id for r in store.changes_since(0).runs] == ids


def test_a_version_3_store_opened_is_migrated_and_its_runs_are_read_as_changes(tmp_path):
    from runs import schema

    path = tmp_path / "runs.sqlite3"
    conn = sqlite3.connect(path)
    for statement in (schema._RUNS_V2, schema._EPOCHS_V2, schema._INDEXES):
        conn.execute(statement)
    schema._v2_to_v3(conn)
    for seed in (1, 2):
        conn.execute("""INSERT INTO runs (started_at, status, config, dataset_name, dataset, seed)
                        VALUES ('2026-01-01T00:00:00+00:00', 'completed', ?, 'mnist', '{}', ?)""",
                     (__import__("json").dumps(small_config(seed).to_dict()), seed))
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with RunStore.open(path) as store:
        first = store.changes_since(0)
        assert [r.seed for r in first.runs] == [1, 2] and not any(r.damaged for r in first.runs)
        store.add_epoch(2, epoch_record(1))
        assert [r.id for r in store.changes_since(first.seq).runs] == [2]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION == 5
