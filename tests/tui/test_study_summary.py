"""What the Studies tab derives from stored records: trial rows, progress and time left, plot axes and lines."""

from __future__ import annotations

import pytest

from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.store import RunRecord
from runs.study_estimate import seconds_per_epoch
from runs.study_spec import Range, StudySpec
from tui.study_summary import ACCURACY_AXIS, plot_data, progress, trial_rows, varied_text

BASE = RunConfig(data=DataConfig(limit=1000, val_size=1000), train=TrainConfig(epochs=3)).to_dict()


def _run(run_id: int, key: str, status: str, vals: list[float], final: dict | None = None) -> RunRecord:
    epochs = [{"epoch": i + 1, "val_acc": v, "seconds": 2.0} for i, v in enumerate(vals)]
    return RunRecord(id=run_id, status=status, message="", started_at="2026-01-01T00:00:00+00:00", ended_at=None,
                     config=BASE, dataset={}, seed=0, final=final, confusion=None, model_path=None, owner=None,
                     epochs=epochs, study_id=1, trial_key=key)


def _study() -> tuple[StudySpec, list]:
    spec = StudySpec(base=BASE, vary={"optimizer": ["sgd", "momentum"]}, seeds=[0, 1])
    return spec, spec.trials()


def test_rows_follow_the_spec_and_take_each_trials_run():
    spec, trials = _study()
    runs = [_run(7, trials[1].key, "completed", [0.8, 0.85, 0.9], {"val_acc": 0.9, "test_acc": 0.88}),
            _run(8, trials[2].key, "running", [0.7])]
    rows = trial_rows(trials, runs)
    assert [r.key for r in rows] == [t.key for t in trials]
    assert (rows[0].run_id, rows[0].status, rows[0].epoch) == (None, "queued", 0)
    assert (rows[1].run_id, rows[1].val, rows[1].last_val, rows[1].test, rows[1].epoch) == (7, 0.9, 0.9, 0.88, 3)
    assert (rows[2].val, rows[2].test, rows[2].seconds) == (0.7, None, 2.0)  # the last epoch's, while running


def test_a_finished_trial_shows_its_kept_weights_validation_accuracy_and_its_last_epochs():
    spec, trials = _study()
    runs = [_run(7, trials[0].key, "completed", [0.8, 0.92, 0.9],
                 {"val_acc": 0.9, "test_acc": 0.91, "weights": "best", "best_epoch": 2})]
    row = trial_rows(trials, runs)[0]
    assert (row.val, row.last_val, row.test) == (0.92, 0.9, 0.91)


def test_progress_counts_and_the_time_left_scaled_by_measured_epochs():
    spec, trials = _study()
    runs = [_run(1, trials[0].key, "completed", [0.8, 0.8, 0.8], {"val_acc": 0.8}),
            _run(2, trials[1].key, "running", [0.7])]
    rows = trial_rows(trials, runs)
    counts = progress(rows, trials, active=True)
    assert (counts.total, counts.done, counts.running, counts.queued) == (4, 1, 1, 2)
    estimate = seconds_per_epoch(trials[0].config)
    scale = (4 * 2.0) / (4 * estimate)  # 4 epochs measured at 2 s each
    left = (2 + 3 + 3) * estimate  # the running trial's 2 epochs and two queued trials' 3
    assert counts.eta_seconds == pytest.approx(left * scale / 1)
    assert progress(rows, trials, active=False).eta_seconds is None  # nobody runs it: no time left to show


def test_plot_has_an_axis_per_varied_option_then_accuracy_and_a_line_per_started_trial():
    spec, trials = _study()
    runs = [_run(1, trials[0].key, "completed", [0.8], {"val_acc": 0.8}),
            _run(2, trials[3].key, "completed", [0.9], {"val_acc": 0.9}),
            _run(3, trials[1].key, "running", [0.85])]
    axes, lines = plot_data(spec, trial_rows(trials, runs), highlight=trials[3].key)
    assert [a.name for a in axes] == ["optimizer", ACCURACY_AXIS]
    assert (axes[-1].low, axes[-1].high) == (0.8, 0.9)
    assert len(lines) == 3  # the queued trial has no line yet
    done_low, running, done_high = lines
    assert done_low.positions[-1] == 0.0 and done_high.positions[-1] == 1.0
    assert done_high.emphasis and not done_low.emphasis
    assert running.value is None and running.positions[-1] is None  # grey, no last segment until it ends
    assert done_low.positions[0] < 0.5 < done_high.positions[0]  # sgd low, momentum high on the axis


def test_random_search_ranges_are_numeric_axes_log_scaled_for_log_ranges():
    spec = StudySpec(base=BASE, ranges={"lr": Range("log", 0.001, 0.1)}, random=3, seeds=[0])
    trials = spec.trials()
    runs = [_run(i + 1, t.key, "completed", [0.8 + i / 100], {"val_acc": 0.8 + i / 100}) for i, t in enumerate(trials)]
    axes, lines = plot_data(spec, trial_rows(trials, runs))
    assert axes[0].name == "lr" and axes[0].kind == "log"
    drawn = sorted(t.params["lr"] for t in trials)
    assert (axes[0].low, axes[0].high) == (drawn[0], drawn[-1])
    assert "lr~log:0.001..0.1" in varied_text(spec) and "3 random" in varied_text(spec)
