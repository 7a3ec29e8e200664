"""Studies in the store: schema v3 migration, one run per trial, claims and derived interruption."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from runs import schema
from runs.store import RunStore, StoreError
from runs.study_spec import StudySpec
from runs.study_store import (UnknownStudyError, claim_study, create_study, find_study_by_spec, get_study,
                              list_studies, start_trial_run, study_runs)
from runs_test_helpers import DATASET_INFO, small_config

SPEC = StudySpec(base=small_config().to_dict(), vary={"optimizer": ["sgd", "momentum"]}, name="demo")


def _v2_store(path):
    """A version-2 store (as the previous release wrote it) holding one run."""
    conn = sqlite3.connect(path)
    for statement in (schema._RUNS_V2, schema._EPOCHS_V2, schema._INDEXES):
        conn.execute(statement)
    conn.execute("""INSERT INTO runs (started_at, status, config, dataset_name, dataset, seed)
                    VALUES ('2026-01-01T00:00:00+00:00', 'completed', ?, 'mnist', '{}', 3)""",
                 (__import__("json").dumps(small_config().to_dict()),))
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def test_v2_store_gains_studies_and_keeps_its_runs(tmp_path):
    path = tmp_path / "runs.sqlite3"
    _v2_store(path)
    with RunStore.open(path) as store:
        (old,) = store.list_runs()
        assert old.status == "completed" and old.study_id is None and old.trial_key is None
        study_id = create_study(store, SPEC, 2)
        run_id = start_trial_run(store, study_id, "optimizer=sgd seed=3", small_config(), DATASET_INFO)
        assert store.get_run(run_id).study_id == study_id
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION


def test_a_trial_has_one_run_ever(mnist_tui_home):
    with RunStore.open() as store:
        study_id = create_study(store, SPEC, 2)
        first = start_trial_run(store, study_id, "k", small_config(), DATASET_INFO)
        store.finish_run(first, "interrupted", "killed")
        second = start_trial_run(store, study_id, "k", small_config(), DATASET_INFO)  # the rerun replaces it
        assert [r.id for r in study_runs(store, study_id)] == [second]
        store.finish_run(second, "completed")
        with pytest.raises(StoreError, match="already completed"):
            start_trial_run(store, study_id, "k", small_config(), DATASET_INFO)
        with pytest.raises(StoreError, match="UNIQUE"):  # the index holds even against a direct insert
            store.create_run(small_config(), DATASET_INFO, study_id=study_id, trial_key="k")
        assert len(study_runs(store, study_id)) == 1


def test_the_same_spec_finds_the_same_study_and_unknown_ids_are_refused(mnist_tui_home):
    with RunStore.open() as store:
        study_id = create_study(store, SPEC, 2)
        renamed = StudySpec.from_dict({**SPEC.to_dict(), "name": "other"})
        assert find_study_by_spec(store, renamed).id == study_id
        assert get_study(store, study_id).study_spec == SPEC
        assert [s.id for s in list_studies(store)] == [study_id]
        with pytest.raises(UnknownStudyError, match="no study with id 99"):
            get_study(store, 99)


CLAIM = ("from runs.store import RunStore; from runs.study_store import create_study, claim_study; "
         "from runs.study_spec import StudySpec; import json, sys, time; s = RunStore.open(); "
         "i = create_study(s, StudySpec.from_dict(json.loads(sys.argv[1])), 2); claim_study(s, i); "
         "print(i, flush=True); time.sleep(float(sys.argv[2]))")


def test_a_study_is_run_by_one_process_and_reads_interrupted_when_it_died(mnist_tui_home):
    import json

    owner = subprocess.Popen([sys.executable, "-c", CLAIM, json.dumps(SPEC.to_dict()), "60"], stdout=subprocess.PIPE,
                             text=True)
    try:
        study_id = int(owner.stdout.readline())
        with RunStore.open() as store:
            assert get_study(store, study_id).status == "running"
            with pytest.raises(StoreError, match=f"study {study_id} is being run by another process"):
                claim_study(store, study_id)
    finally:
        owner.kill()
        owner.wait()
    with RunStore.open() as store:
        assert get_study(store, study_id).status == "interrupted"
        assert claim_study(store, study_id).status == "running"


def test_a_studys_runs_are_read_again_only_where_they_changed(mnist_tui_home):
    from runs.study_store import StudyRuns
    from runs_test_helpers import epoch_record

    with RunStore.open() as store:
        study_id = create_study(store, SPEC, 2)
        first = start_trial_run(store, study_id, "a", small_config(), DATASET_INFO)
        second = start_trial_run(store, study_id, "b", small_config(), DATASET_INFO)
        store.create_run(small_config(), DATASET_INFO)  # a run of no study
        cache = StudyRuns()
        assert [r.id for r in cache.read(store, study_id)] == [first, second]
        built: list[int] = []
        records = store._records
        store._records = lambda rows: built.extend(r["id"] for r in rows) or records(rows)
        store.add_epoch(second, epoch_record(1))
        runs = cache.read(store, study_id)
        assert built == [second] and [len(r.epochs) for r in runs] == [0, 1]
        assert cache.read(store, study_id) == runs and built == [second]  # nothing changed: nothing read
        store.finish_run(first, "completed")
        store._records = records
        store.delete_run(first)
        assert [r.id for r in cache.read(store, study_id)] == [second]
