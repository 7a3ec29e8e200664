"""Results are chosen on validation, judge seed noise honestly and rank options by their effect."""

from __future__ import annotations

from runs.store import RunRecord
from runs.study_results import ALPHA, summarize
from runs.study_spec import StudySpec
from runs.study_store import StudyRecord
from runs_test_helpers import small_config

SPEC = StudySpec(base=small_config().to_dict(), vary={"optimizer": ["sgd", "momentum"], "lr": [0.01, 0.1]},
                 seeds=[0, 1, 2])


def _study(spec: StudySpec) -> StudyRecord:
    return StudyRecord(1, "", "now", None, "completed", "", spec.to_dict(), spec.fingerprint(), 0, None)


def _run(run_id: int, key: str, val: float, test: float, status: str = "completed", last: float | None = None,
         weights: str = "best") -> RunRecord:
    """A run whose best epoch (2 of 3) has validation accuracy `val` and whose last has `last` (val - 0.02)."""
    last = val - 0.02 if last is None else last
    epochs = [{"epoch": 1, "val_acc": val - 0.03, "seconds": 2.0}, {"epoch": 2, "val_acc": val, "seconds": 4.0},
              {"epoch": 3, "val_acc": last, "seconds": 3.0}]
    final = {"val_acc": last, "test_acc": test, "weights": weights, "best_epoch": 2 if weights == "best" else None}
    return RunRecord(run_id, status, "", "now", None, {}, {}, 0, final, None, None,
                     None, epochs, study_id=1, trial_key=key)


# best-epoch validation accuracy per (config, seed); test accuracy deliberately best for a loser
VAL = {"lr=0.01 optimizer=sgd": (0.900, 0.902, 0.898), "lr=0.1 optimizer=sgd": (0.950, 0.951, 0.949),
       "lr=0.01 optimizer=momentum": (0.931, 0.929, 0.933), "lr=0.1 optimizer=momentum": (0.960, 0.961, 0.959)}


def _runs(test_of=lambda key: 0.9):
    runs, run_id = [], 0
    for key, vals in VAL.items():
        for seed, val in enumerate(vals):
            run_id += 1
            runs.append(_run(run_id, f"{key} seed={seed}", val, test_of(key)))
    return runs


def test_winner_is_chosen_on_validation_even_when_another_has_better_test_accuracy():
    results = summarize(_study(SPEC), _runs(lambda key: 0.99 if key == "lr=0.01 optimizer=sgd" else 0.9))
    assert results.winner.key == "lr=0.1 optimizer=momentum"
    assert results.winner.val.n == 3 and abs(results.winner.val.mean - 0.960) < 1e-12
    assert abs(results.winner.last_val.mean - 0.940) < 1e-12 and results.winner.seconds_per_epoch.mean == 3.0
    assert [r.key for r in results.leaderboard][-1] == "lr=0.01 optimizer=sgd"
    assert any("never used to choose" in note for note in results.notes)


def test_close_configurations_are_within_noise_and_distant_ones_are_not():
    board = {r.key: r for r in summarize(_study(SPEC), _runs()).leaderboard}
    assert board["lr=0.1 optimizer=momentum"].p_value is None  # the winner itself
    assert board["lr=0.01 optimizer=sgd"].within_noise is False and board["lr=0.01 optimizer=sgd"].p_value < 0.001
    noisy = summarize(_study(SPEC), [r if not r.trial_key.startswith("lr=0.01 optimizer=momentum") else
                                     _run(r.id, r.trial_key, {0: 0.99, 1: 0.93, 2: 0.94}[int(r.trial_key[-1])], 0.9)
                                     for r in _runs()])
    noisy_row = next(r for r in noisy.leaderboard if r.key == "lr=0.01 optimizer=momentum")
    assert noisy_row.within_noise is True


def test_marginal_effects_are_ordered_by_spread():
    results = summarize(_study(SPEC), _runs())
    assert [e.option for e in results.effects] == ["lr", "optimizer"]  # lr moves accuracy more here
    lr = results.effects[0]
    assert [v.text for v in lr.values] == ["0.01", "0.1"] and all(v.val.n == 6 for v in lr.values)


def test_one_seed_says_noise_cannot_be_judged_and_unfinished_trials_count_as_queued():
    spec = StudySpec(base=SPEC.base, vary=SPEC.vary, seeds=[0])
    runs = [_run(1, "lr=0.01 optimizer=sgd seed=0", 0.9, 0.9), _run(2, "lr=0.1 optimizer=sgd seed=0", 0.8, 0.8, "failed")]
    results = summarize(_study(spec), runs)
    assert not results.noise_judged and any("noise cannot be judged" in n for n in results.notes)
    assert results.counts == {"completed": 1, "failed": 1, "queued": 2}
    assert results.winner.key == "lr=0.01 optimizer=sgd" and results.winner.p_value is None


def test_the_score_is_the_kept_weights_validation_accuracy_not_the_last_epochs():
    """A configuration whose best epoch is higher but whose last epoch is lower wins: its kept weights are better."""
    spec = StudySpec(base=SPEC.base, vary={"lr": [0.01, 0.1]}, seeds=[0, 1])
    peaked = [_run(i + 1, f"lr=0.01 seed={i}", val, 0.9, last=0.90) for i, val in enumerate((0.97, 0.971))]
    steady = [_run(i + 3, f"lr=0.1 seed={i}", val, 0.9, last=val) for i, val in enumerate((0.95, 0.951))]
    results = summarize(_study(spec), peaked + steady)
    assert results.winner.key == "lr=0.01"
    assert abs(results.winner.val.mean - 0.9705) < 1e-12 and abs(results.winner.last_val.mean - 0.90) < 1e-12
    loser = results.leaderboard[1]
    assert loser.key == "lr=0.1" and loser.p_value is not None and loser.p_value < ALPHA  # Welch's test on the same score
    lr = results.effects[0]
    assert [round(v.val.mean, 4) for v in lr.values] == [0.9705, 0.9505]  # marginal effects too


def test_a_run_that_kept_its_last_weights_is_scored_on_its_last_epoch():
    spec = StudySpec(base=SPEC.base, vary={"lr": [0.01, 0.1]}, seeds=[0])
    runs = [_run(1, "lr=0.01 seed=0", 0.97, 0.9, last=0.90, weights="last"), _run(2, "lr=0.1 seed=0", 0.95, 0.9, last=0.93)]
    results = summarize(_study(spec), runs)
    assert results.winner.key == "lr=0.1" and abs(results.leaderboard[1].val.mean - 0.90) < 1e-12


def test_without_a_validation_set_there_is_no_score_and_no_winner():
    spec = StudySpec(base={**SPEC.base, "data": {**SPEC.base["data"], "val_size": 0}}, vary={"lr": [0.01, 0.1]}, seeds=[0])
    epochs = [{"epoch": 1, "val_acc": None, "seconds": 1.0}]
    runs = [RunRecord(i + 1, "completed", "", "now", None, {}, {}, 0, {"val_acc": None, "test_acc": 0.9, "weights": "last"},
                      None, None, None, epochs, study_id=1, trial_key=f"lr={lr} seed=0") for i, lr in enumerate((0.01, 0.1))]
    results = summarize(_study(spec), runs)
    assert results.winner is None and all(r.val.mean is None for r in results.leaderboard)
    assert any("--val-size 0" in note for note in results.notes)
