"""The run store's life cycle: create, epochs, finish, read back, list, delete, change counter."""

from __future__ import annotations

import json
import sqlite3

import pytest

from runs.schema import CURRENT_VERSION
from runs.store import RunStore, StoreError, UnknownRunError
from runs_test_helpers import DATASET_INFO, epoch_record, small_config


def test_run_round_trip(mnist_tui_home):
    with RunStore.open() as store:
        assert store.path == mnist_tui_home / "runs.sqlite3"
        config = small_config(seed=7)
        run_id = store.create_run(config, DATASET_INFO)
        store.add_epoch(run_id, epoch_record(1, 0.90))
        store.add_epoch(run_id, {**epoch_record(2, 0.95), "grad_norm": 1.25})
        model = store.model_path(run_id)
        confusion = [[i * 10 + j for j in range(10)] for i in range(10)]
        store.finish_run(run_id, "completed", "", final={"test_acc": 0.94}, confusion=confusion, model_path=model)

    with RunStore.open() as store:  # a new connection reads what the first committed
        run = store.get_run(run_id)
    assert run.status == "completed" and run.ended_at is not None
    assert run.run_config == config and run.seed == 7
    assert run.dataset == {"name": "mnist", **DATASET_INFO}
    assert [e["epoch"] for e in run.epochs] == [1, 2]
    assert run.epochs[1]["val_acc"] == 0.95 and run.epochs[1]["grad_norm"] == 1.25
    assert run.best_epoch["epoch"] == 2
    assert run.final == {"test_acc": 0.94} and run.confusion == confusion and not run.damaged
    assert run.model_path == str(mnist_tui_home / "models" / f"{run_id}.npz")


def test_new_run_is_running_and_owned_by_this_process(mnist_tui_home):
    import os

    with RunStore.open() as store:
        run_id = store.create_run(small_config(), DATASET_INFO)
        run = store.get_run(run_id)
        assert run.status == "running" and run.owner.pid == os.getpid()
        # Reopening while the owner lives must not mark it interrupted.
        with RunStore.open() as again:
            assert again.recovered == [] and again.get_run(run_id).status == "running"


def test_list_runs_in_id_order_with_epochs(mnist_tui_home):
    with RunStore.open() as store:
        ids = [store.create_run(small_config(seed=s), DATASET_INFO) for s in range(3)]
        store.add_epoch(ids[1], epoch_record(1))
        listed = store.list_runs()
    assert [r.id for r in listed] == ids
    assert [len(r.epochs) for r in listed] == [0, 1, 0]


def test_unknown_run_ids_raise_unknown_run_error(mnist_tui_home):
    with RunStore.open() as store:
        with pytest.raises(UnknownRunError, match="no run with id 99"):
            store.get_run(99)
        with pytest.raises(UnknownRunError):
            store.add_epoch(99, epoch_record(1))
        with pytest.raises(UnknownRunError):
            store.finish_run(99, "completed")
        with pytest.raises(UnknownRunError):
            store.delete_run(99)


def test_duplicate_epoch_and_bad_status_are_refused_without_damage(mnist_tui_home):
    with RunStore.open() as store:
        run_id = store.create_run(small_config(), DATASET_INFO)
        store.add_epoch(run_id, epoch_record(1))
        with pytest.raises(StoreError, match="UNIQUE"):
            store.add_epoch(run_id, epoch_record(1, 0.1))
        with pytest.raises(StoreError, match="status: got 'done'"):
            store.finish_run(run_id, "done")
        run = store.get_run(run_id)
    assert run.status == "running" and [e["train_acc"] for e in run.epochs] == [0.9]


def test_delete_removes_run_epochs_and_model_file(mnist_tui_home):
    with RunStore.open() as store:
        keep = store.create_run(small_config(), DATASET_INFO)
        gone = store.create_run(small_config(), DATASET_INFO)
        store.add_epoch(gone, epoch_record(1))
        model = store.model_path(gone)
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(b"model")
        store.finish_run(keep, "completed")
        store.finish_run(gone, "completed", model_path=model)
        store.delete_run(gone)
        assert [r.id for r in store.list_runs()] == [keep]
        assert not model.exists()
    conn = sqlite3.connect(mnist_tui_home / "runs.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM epochs WHERE run_id = ?", (gone,)).fetchone()[0] == 0


def test_delete_refuses_a_run_whose_owner_is_alive(mnist_tui_home):
    with RunStore.open() as store:
        run_id = store.create_run(small_config(), DATASET_INFO)
        with pytest.raises(StoreError, match=f"run {run_id} is still running"):
            store.delete_run(run_id)
        assert store.get_run(run_id).status == "running"


def test_data_version_changes_on_commits_from_any_connection(mnist_tui_home):
    with RunStore.open() as viewer, RunStore.open() as writer:
        before = viewer.data_version()
        assert viewer.data_version() == before  # polling alone changes nothing
        writer.create_run(small_config(), DATASET_INFO)
        after_other = viewer.data_version()
        assert after_other != before
        viewer.create_run(small_config(), DATASET_INFO)
        assert viewer.data_version() != after_other


def test_store_uses_wal_and_current_schema_version(mnist_tui_home):
    RunStore.open().close()
    conn = sqlite3.connect(mnist_tui_home / "runs.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION


def test_home_folder_falls_back_to_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_TUI_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with RunStore.open() as store:
        assert store.path == tmp_path / "xdg" / "mnist-tui" / "runs.sqlite3"


def test_config_is_stored_as_plain_json(mnist_tui_home):
    with RunStore.open() as store:
        run_id = store.create_run(small_config(seed=11), DATASET_INFO)
    conn = sqlite3.connect(mnist_tui_home / "runs.sqlite3")
    stored = json.loads(conn.execute("SELECT config FROM runs WHERE id = ?", (run_id,)).fetchone()[0])
    assert stored == small_config(seed=11).to_dict()
