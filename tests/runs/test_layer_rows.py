"""Layer statistics round-trip through the store, and damaged ones become the run's problems, not tracebacks."""

from __future__ import annotations

import json
import sqlite3

import pytest

from nn_core.layer_stats import HIST_BINS
from runs import schema
from runs.store import RunStore
from runs_test_helpers import DATASET_INFO, epoch_record, small_config


def _layers(dead=0.25):
    hist = {"lo": -1.0, "hi": 1.0, "now": [1] * HIST_BINS, "init": [0] * (HIST_BINS - 1) + [HIST_BINS]}
    return [{"layer": 1, "weight_norm": 3.0, "grad_norm": 0.5, "update_ratio": 1e-3, "act_mean": 0.2,
             "act_sd": 0.4, "dead": dead, "saturated": None, "hist": hist},
            {"layer": 2, "weight_norm": 2.0, "grad_norm": 0.1, "update_ratio": 2e-3, "act_mean": 0.0,
             "act_sd": 3.0, "dead": None, "saturated": None, "hist": hist}]


def _store_with(tmp_path, layers):
    store = RunStore.open(tmp_path / "runs.sqlite3")
    run_id = store.create_run(small_config(0), DATASET_INFO)
    store.add_epoch(run_id, {**epoch_record(1), "layers": _layers()})
    store.add_epoch(run_id, {**epoch_record(2), "layers": _layers()})
    text = layers if isinstance(layers, str) and layers.startswith("{") else json.dumps(layers)
    store._conn.execute("UPDATE layer_stats SET layers = ? WHERE run_id = ? AND epoch = 2", (text, run_id))
    store._conn.commit()
    return store, run_id


def test_layer_statistics_come_back_as_stored(tmp_path):
    store, run_id = _store_with(tmp_path, _layers(dead=0.5))
    run = store.get_run(run_id)
    assert not run.damaged
    assert run.epochs[0]["layers"] == _layers() and run.epochs[1]["layers"][0]["dead"] == 0.5
    store.close()


@pytest.mark.parametrize("damage,named", [
    ("not a list", "layers: expected a list"),
    ("{not json", "layers: not valid JSON"),
    ([{"layer": 1}], "layers[1].hist: expected an object"),
    ([{**_layers()[0], "layer": 5}], "layers[1].layer: expected 1"),
    ([{**_layers()[0], "grad_norm": "big"}], "layers[1].grad_norm: expected a finite number"),
    ([{**_layers()[0], "dead": 7}], "layers[1].dead: 7 is outside 0 to 1"),
    ([{**_layers()[0], "hist": {"lo": 1, "hi": 0, "now": [], "init": []}}], "layers[1].hist: lo must be below hi"),
    ([{**_layers()[0], "hist": {"lo": -1, "hi": 1, "now": [-1] * HIST_BINS, "init": [0] * HIST_BINS}}],
     "layers[1].hist.now: expected"),
    ([{**_layers()[0], "hist": {"lo": -1, "hi": 1, "now": [0] * (HIST_BINS + 1), "init": [0] * HIST_BINS}}],
     "layers[1].hist.now: expected"),
    ([{**_layers()[0], "hist": {"lo": -1, "hi": 1, "now": [0] * 10**5, "init": [0] * HIST_BINS}}],
     "layers: 300,260 characters of JSON, more than any run stores"),
])
def test_damaged_layer_statistics_name_the_field(tmp_path, damage, named):
    store, run_id = _store_with(tmp_path, damage)
    run = store.get_run(run_id)
    assert run.damaged
    assert any(p.startswith("epoch 2: " + named) for p in run.problems), run.problems
    assert run.epochs[0]["layers"] == _layers() and "layers" not in run.epochs[1]  # the healthy epoch keeps its own
    assert len(run.epochs) == 2
    store.close()


def test_statistics_live_in_their_own_table_and_the_history_list_skips_them(tmp_path):
    store, run_id = _store_with(tmp_path, _layers(dead=0.5))
    extra = store._conn.execute("SELECT extra FROM epochs WHERE run_id = ?", (run_id,)).fetchall()
    assert [json.loads(row[0]) for row in extra] == [{}, {}]
    assert all("layers" not in e for e in store.list_runs()[0].epochs)
    store.finish_run(run_id, "completed")
    store.delete_run(run_id)
    assert store._conn.execute("SELECT count(*) FROM layer_stats").fetchone()[0] == 0  # deleted with the run
    store.close()


def test_layers_smuggled_into_an_epochs_extra_are_ignored(tmp_path):
    store, run_id = _store_with(tmp_path, _layers())
    store._conn.execute("UPDATE epochs SET extra = ? WHERE run_id = ? AND epoch = 1",
                        (json.dumps({"layers": "not checked"}), run_id))
    store._conn.execute("DELETE FROM layer_stats WHERE epoch = 1")
    store._conn.commit()
    run = store.get_run(run_id)
    assert not run.damaged and "layers" not in run.epochs[0]
    store.close()


def _v3_store(path) -> None:
    """A store as version 3 wrote it: no layer_stats table, one finished run with two epochs."""
    with RunStore.open(path) as store:
        run_id = store.create_run(small_config(0), DATASET_INFO)
        for epoch in (1, 2):
            store.add_epoch(run_id, epoch_record(epoch))
        store.finish_run(run_id, "completed")
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE layer_stats")
    # ...and without the change tracking that version 5 added after it.
    for (kind, name) in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'index') "
            "AND (name LIKE '%change%' OR tbl_name IN ('changes', 'deleted_runs') OR name LIKE 'run_%ed' "
            "OR name LIKE 'epoch_%ed')").fetchall():
        conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    conn.execute("DROP TABLE changes")
    conn.execute("DROP TABLE deleted_runs")
    conn.execute("ALTER TABLE runs DROP COLUMN change_seq")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_a_version_3_store_gains_the_layer_stats_table_and_keeps_its_runs(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _v3_store(path)
    with RunStore.open(path) as store:
        old = store.get_run(1)
        assert not old.damaged and [e["epoch"] for e in old.epochs] == [1, 2]
        assert all("layers" not in e for e in old.epochs)  # recorded before the statistics existed
        new = store.create_run(small_config(1), DATASET_INFO)
        store.add_epoch(new, {**epoch_record(1), "layers": _layers()})
        assert store.get_run(new).epochs[0]["layers"] == _layers()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION
    columns = [row[1] for row in conn.execute("PRAGMA table_info(layer_stats)")]
    assert columns == ["run_id", "epoch", "layers"]
