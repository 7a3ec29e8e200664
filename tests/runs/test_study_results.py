"""Results are chosen on validation, judge seed noise honestly and rank options by their effect."""

from __future__ import annotations

from runs.store import RunRecord
from runs.study_results import summarize
from runs.study_spec import StudySpec
from runs.study_store import StudyRecord
from runs_test_helpers import small_config

SPEC = StudySpec(base=small_config().to_dict(), vary={"optimizer": ["sgd", "momentum"], "lr": [0.01, 0.1]},
                 seeds=[0, 1, 2])


def _study(spec: StudySpec) -> StudyRecord:
    return StudyRecord(1, "", "now", None, "completed", "", spec.to_dict(), spec.fingerprint(), 0, None)


def _run(run_id: int, key: str, val: float, test: float, status: str = "completed") -> RunRecord:
    epochs = [{"epoch": 1, "val_acc": val - 0.01, "seconds": 2.0}, {"epoch": 2, "val_acc": val, "seconds": 4.0}]
    return RunRecord(run_id, status, "", "now", None, {}, {}, 0, {"val_acc": val, "test_acc": test}, None, None,
                     None, epochs, study_id=1, trial_key=key)


# final validation accuracy per (config, seed); test accuracy deliberately best for a loser
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
    assert results.winner.final_val.n == 3 and abs(results.winner.final_val.mean - 0.960) < 1e-12
    assert abs(results.winner.best_val.mean - 0.960) < 1e-12 and results.winner.seconds_per_epoch.mean == 3.0
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
