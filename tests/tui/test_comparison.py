"""Config differences, best marking and confusion changes as plain data (tui.comparison)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from tui.comparison import (
    MISSING, best_indices, config_diff, confusion_difference, flatten_config, pair_changes, with_defaults,
)


def test_flatten_matches_runconfig_flat():
    config = RunConfig(model=ModelConfig(hidden_sizes=(32, 16)), train=TrainConfig(l1=True))
    expected = {k: tuple(v) if isinstance(v, list) else v for k, v in config.flat().items()}
    assert flatten_config(config.to_dict()) == expected
    assert expected["model.hidden_sizes"] == (32, 16)


def test_only_differing_fields_by_default_all_on_request():
    a = RunConfig(train=TrainConfig(learning_rate=0.03)).to_dict()
    b = RunConfig(model=ModelConfig(hidden_sizes=(64, 64)), train=TrainConfig(learning_rate=0.1)).to_dict()
    rows = config_diff([a, b])
    assert rows == [("model.hidden_sizes", [(64,), (64, 64)]), ("train.learning_rate", [0.03, 0.1])]
    everything = config_diff([a, b], only_differing=False)
    assert len(everything) == len(RunConfig().flat())
    assert ("train.optimizer", ["momentum", "momentum"]) in everything


def test_three_runs_differ_when_any_one_differs():
    a, b = RunConfig().to_dict(), RunConfig().to_dict()
    c = RunConfig(data=DataConfig(dataset="fashion-mnist")).to_dict()
    assert config_diff([a, b, c]) == [("data.dataset", ["mnist", "mnist", "fashion-mnist"])]


def test_a_field_only_one_run_has_is_shown_as_missing():
    old = RunConfig().to_dict()
    del old["train"]["l2_lambda"]
    rows = dict(config_diff([old, RunConfig().to_dict()]))
    assert rows == {"train.l2_lambda": [MISSING, 0.0]}


def test_true_and_one_are_different_settings():
    assert config_diff([{"train": {"l1": True}}, {"train": {"l1": 1}}]) == [("train.l1", [True, 1])]
    assert config_diff([{"train": {"lr": 1}}, {"train": {"lr": 1.0}}]) == []


def test_best_indices_marks_ties_and_skips_missing_values():
    assert best_indices([0.91, 0.95, None, 0.95]) == {1, 3}
    assert best_indices([0.3, 0.2, 0.25], higher_is_better=False) == {1}
    assert best_indices([None, math.nan, 0.5]) == {2}
    assert best_indices([None, None]) == set()
    assert best_indices([]) == set()


def test_runs_of_different_datasets_are_never_ranked_against_each_other():
    groups = ["mnist", "fashion-mnist"]
    assert best_indices([0.97, 0.89], groups=groups) == set()  # one run each: no best at all
    three = ["mnist", "fashion-mnist", "mnist"]
    assert best_indices([0.96, 0.99, 0.97], groups=three) == {2}  # the better MNIST run, not the Fashion one
    assert best_indices([0.3, 0.2, 0.25], higher_is_better=False, groups=["a", "b", "b"]) == {1}


def test_confusion_difference_and_pairs_that_moved():
    before = np.array([[50, 5, 0], [10, 40, 0], [0, 3, 47]])
    after = np.array([[53, 2, 0], [2, 48, 0], [0, 9, 41]])
    assert confusion_difference(before, after).tolist() == [[3, -3, 0], [-8, 8, 0], [0, 6, -6]]
    changes = pair_changes(before, after)
    assert [(c.true, c.predicted, c.before, c.after, c.delta, c.better) for c in changes] == [
        (1, 0, 10, 2, -8, True),
        (2, 1, 3, 9, 6, False),
        (0, 1, 5, 2, -3, True),
    ]
    assert pair_changes(before, after, limit=1) == changes[:1]
    assert pair_changes(before, before) == []


def test_confusion_difference_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(10, 10\) and \(3, 3\)"):
        confusion_difference(np.zeros((10, 10)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="square"):
        confusion_difference(np.zeros((2, 3)), np.zeros((2, 3)))


def test_an_older_run_compares_with_its_missing_options_at_their_defaults():
    """Runs stored before dropout, augmentation, early stop and weight decay existed trained without them."""
    old = RunConfig().to_dict()
    for field in ("weight_decay", "dropout", "augment_shift", "augment_rotate", "early_stop"):
        del old["train"][field]
    assert RunConfig.from_dict(old) == RunConfig()
    new = RunConfig(train=TrainConfig(optimizer="adam", dropout=(0.2,))).to_dict()
    rows = dict(config_diff([with_defaults(old), with_defaults(new)]))
    assert rows == {"train.optimizer": ["momentum", "adam"], "train.learning_rate": [0.05, 0.003],
                    "train.dropout": [(), (0.2,)]}
    assert with_defaults({"train": {"epochs": "many"}}) == {"train": {"epochs": "many"}}  # damaged: as stored


def test_the_change_grid_stays_aligned_when_a_change_has_four_digits():
    from tui.widgets.confusion_difference import difference_text

    before = np.zeros((10, 10), dtype=int)
    after = before.copy()
    after[3, 3], after[3, 5], after[7, 1] = 1013, 4, -2
    lines = difference_text(before, after, tuple(map(str, range(10)))).plain.split("\n")[:11]
    header = lines[0]
    ends = [header.index(str(c)) + 1 for c in range(10)]  # where each column's label ends
    row3, row7 = lines[4], lines[8]
    assert row3[ends[3] - 5:ends[3]] == "+1013" and row3[ends[5] - 2:ends[5]] == "+4"
    assert row7[ends[1] - 2:ends[1]] == "-2" and row3[ends[0] - 1] == "·"
