"""Layer statistics round-trip through the store, and damaged ones become the run's problems, not tracebacks."""

from __future__ import annotations

import json

import pytest

from nn_core.layer_stats import HIST_BINS
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
    store.add_epoch(run_id, epoch_record(2))
    store._conn.execute("UPDATE epochs SET extra = ? WHERE run_id = ? AND epoch = 2",
                        (json.dumps({"layers": layers}), run_id))
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
    ([{"layer": 1}], "layers[1].hist: expected an object"),
    ([{**_layers()[0], "layer": 5}], "layers[1].layer: expected 1"),
    ([{**_layers()[0], "grad_norm": "big"}], "layers[1].grad_norm: expected a finite number"),
    ([{**_layers()[0], "dead": 7}], "layers[1].dead: 7 is outside 0 to 1"),
    ([{**_layers()[0], "hist": {"lo": 1, "hi": 0, "now": [], "init": []}}], "layers[1].hist: lo must be below hi"),
    ([{**_layers()[0], "hist": {"lo": -1, "hi": 1, "now": [-1] * HIST_BINS, "init": [0] * HIST_BINS}}],
     "layers[1].hist.now: expected"),
    ([{**_layers()[0], "hist": {"lo": -1, "hi": 1, "now": [0] * 10**5, "init": [0] * HIST_BINS}}],
     "layers[1].hist.now: expected"),
])
def test_damaged_layer_statistics_name_the_field(tmp_path, damage, named):
    store, run_id = _store_with(tmp_path, damage)
    run = store.get_run(run_id)
    assert run.damaged
    assert any(p.startswith("epoch 2: " + named) for p in run.problems), run.problems
    assert [e["epoch"] for e in run.epochs] == [1]  # the healthy epoch is kept
    store.close()
