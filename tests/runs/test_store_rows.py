"""Each row is checked as it is read: a damaged run becomes a record naming what is wrong, and the
other runs are read as usual."""

from __future__ import annotations

import re
import sqlite3

import pytest

from runs.store import DamagedRunError, RunStore
from runs_test_helpers import DATASET_INFO, epoch_record, small_config


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with RunStore.open(path) as store:
        for seed in (1, 2):
            run = store.create_run(small_config(seed), DATASET_INFO)
            store.add_epoch(run, epoch_record(1))
            store.finish_run(run, "completed", final={"test_acc": 0.9})
    return path


@pytest.mark.parametrize("table, column, value, problem", [
    ("runs", "config", "{\"data\": ", "config: not valid JSON"),
    ("runs", "config", "[1, 2]", "config: expected a JSON object, got list"),
    ("runs", "config", "{\"train\": {\"learning_rate\": -1}}", "config: learning_rate: got -1, expected a finite number > 0.0"),
    ("runs", "dataset", "[]", "dataset: expected a JSON object, got list"),
    ("runs", "final", "{\"test_acc\": \"high\"}", "final test_acc: expected a number, got 'high'"),
    ("runs", "confusion", "[[1, 2], [3, 4]]", "confusion: expected 10 rows of 10 whole numbers >= 0"),
    ("runs", "seed", "many", "seed: expected a whole number >= 0, got 'many'"),
    ("epochs", "val_acc", "high", "epoch 1: val_acc: expected a number, got 'high'"),
    ("epochs", "extra", "[]", "epoch 1: extra: expected a JSON object, got list"),
])
def test_a_damaged_row_is_named_and_the_others_are_read(store_path, table, column, value, problem):
    conn = sqlite3.connect(store_path)
    key = "id" if table == "runs" else "run_id"
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = 1", (value,))
    conn.commit()
    conn.close()
    with RunStore.open(store_path) as store:
        damaged, healthy = store.list_runs()
        assert damaged.problems == (problem,)
        assert not healthy.damaged and healthy.run_config == small_config(2) and len(healthy.epochs) == 1
        with pytest.raises(DamagedRunError, match=re.escape(f"run 1 is damaged: {problem}")):
            store.usable_run(1)
        assert store.usable_run(2) == healthy
