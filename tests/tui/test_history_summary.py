"""One history line per run (tui.run_summary) and the history's filter and sort rules."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.store import RunStore
from tui.run_summary import architecture, class_names, options, summarize
from tui.history_columns import COLUMNS
from tui.widgets.history_pane import matches, sort_summaries, unknown_fields

from tui_history_helpers import fixed_store


def test_architecture_and_options_labels():
    assert architecture(RunConfig(model=ModelConfig(hidden_sizes=(128, 64), activation="tanh")).to_dict()) \
        == "784-128-64-10 tanh"
    assert architecture(RunConfig(model=ModelConfig(hidden_sizes=())).to_dict()) == "784-10"
    config = RunConfig(
        data=DataConfig(normalization="normal", limit=500),
        train=TrainConfig(optimizer="sgd", learning_rate=0.1, batch_size=64, schedule="decay",
                          l1=True, l1_lambda=1e-4, l2_lambda=0.001),
    )
    assert options(config.to_dict()) == "sgd lr 0.1 b64 decay L1 0.0001 L2 0.001 normal n=500"
    assert options(RunConfig().to_dict()) == f"momentum lr {TrainConfig().learning_rate:g} b32 cosine"
    regularised = RunConfig(model=ModelConfig(hidden_sizes=(64, 64)), train=TrainConfig(
        optimizer="adamw", dropout=(0.3, 0.2), augment_shift=2, augment_rotate=10.0, early_stop=3))
    assert options(regularised.to_dict()) == "adamw lr 0.003 b32 cosine wd 0.01 dropout 0.3,0.2 aug ±2px ±10° stop@3"
    assert options(RunConfig(train=TrainConfig(augment_rotate=5.0)).to_dict()).endswith(" aug ±5°")


def test_class_names_per_dataset():
    assert class_names("mnist") == tuple("0123456789")
    assert class_names("fashion-mnist")[9] == "Ankle boot"


def test_summaries_of_stored_runs(tmp_path: Path):
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        first, second, third = (summarize(r) for r in store.list_runs())
    assert first.started == datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
    assert (first.best_val, first.best_epoch, first.last_val, first.test_acc) == (0.952, 3, 0.952, 0.9488)
    assert (first.epochs_done, first.epochs_planned, first.seconds) == (3, 3, 7.5)
    assert second.architecture == "784-128-64-10 relu" and second.options.startswith("sgd lr 0.1")
    assert (third.status, third.dataset, third.test_acc) == ("cancelled", "fashion-mnist", None)
    assert third.epochs_planned == 5
    assert third.fields["limit"] == 20000 and third.fields["data.limit"] == 20000


def test_runs_without_validation_have_no_best_epoch(tmp_path: Path):
    """Without a validation set there is no "best": never a best picked on test accuracy (issue 10 part 5)."""
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        run_id = store.create_run(RunConfig(data=DataConfig(val_size=0)), {})
        for epoch, acc in ((1, 0.9), (2, 0.93), (3, 0.92)):
            store.add_epoch(run_id, {"epoch": epoch, "val_acc": None, "test_acc": acc, "seconds": 1.0})
        store.finish_run(run_id, "completed", final={"test_acc": 0.92, "weights": "last", "best_epoch": None})
        summary = summarize(store.get_run(run_id))
    assert (summary.best_val, summary.best_epoch, summary.last_val) == (None, None, None)
    assert (summary.test_acc, summary.test_weights, summary.test_label) == (0.92, "last", "92.0% last")


def test_filters_and_sorting(tmp_path: Path):
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        runs = [summarize(r) for r in store.list_runs()]
    pick = lambda query: [s.id for s in runs if matches(s, query)]  # noqa: E731
    assert pick("") == [1, 2, 3]
    assert pick("SGD") == [2]
    assert pick("learning_rate:0.1") == [2]
    assert pick("train.learning_rate:0.03 status:compl") == [1]
    assert pick("nosuchfield:1") == []
    assert unknown_fields("nosuchfield:1 optimizer:sgd plain", runs) == ["nosuchfield"]
    assert [s.id for s in sort_summaries(runs, "test", reverse=True)] == [2, 1, 3]  # no value: last
    assert [s.id for s in sort_summaries(runs, "test", reverse=False)] == [1, 2, 3]


def test_filter_compares_numbers_and_knows_the_names_the_table_shows(tmp_path: Path):
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        runs = [summarize(r) for r in store.list_runs()]
    pick = lambda query: [s.id for s in runs if matches(s, query)]  # noqa: E731
    assert pick("test>96") == [2] and pick("test>0.96") == [2]  # percent or fraction
    assert pick("test<96") == [1]  # a run without a test accuracy never passes a comparison
    assert pick("val>=0.952") == [1, 2] and pick("val>95.5") == [2]
    assert pick("epochs<3") == [3] and pick("ep=3") == [1, 2]
    assert pick("lr:0.03") == [1, 3] and pick("lr>0.05") == [2]  # `lr` as the options column writes it
    assert pick("test>90 lr:0.03") == [1]
    assert pick("test>abc") == []
    assert unknown_fields("lr:0.05 val>0.9 test>97 epochs<10", runs) == []
    assert unknown_fields("speed>3", runs) == ["speed"]
    assert pick("n=20000") == [3] and pick("n>1000") == [3]  # `n=20000` as the options column writes it


def test_what_the_table_shows_can_be_typed_back_as_a_filter(tmp_path: Path):
    """A term that looks like `field:value` but names no field is looked for as text: a time of day."""
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        runs = [summarize(r) for r in store.list_runs()]
    started = COLUMNS[1].show(runs[0])  # "2026-03-10 09:30" in the date column, in local time
    assert ":" in started.split()[-1]
    assert [s.id for s in runs if matches(s, started)] == [1]  # every run started at 09:30, on another day
    assert unknown_fields(started, runs) == []
