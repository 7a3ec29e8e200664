"""Warnings name the sick layer and give advice; a healthy network gets none."""

from runs.layer_health import warnings

CONFIG = {"train": {"learning_rate": 3.0}, "model": {"activation": "tanh"}}


def _row(layer, dead=None, saturated=None, ratio=1e-3):
    return {"layer": layer, "dead": dead, "saturated": saturated, "update_ratio": ratio}


def test_healthy_layers_give_no_warning():
    assert warnings([_row(1, dead=0.1), _row(2, saturated=0.49), _row(3)], CONFIG) == []


def test_dead_and_saturated_layers_are_named_with_advice():
    found = warnings([_row(1, dead=0.91), _row(2, saturated=0.75), _row(3, ratio=0.5)], CONFIG)
    assert found[0].startswith("hidden layer 1: 91% of its units are dead")
    assert "lower the learning rate (now 3)" in found[0]
    assert found[1].startswith("hidden layer 2: 75% of its units are saturated (tanh")
    assert found[2].startswith("output layer: each step changes its weights by 50%")
    assert len(found) == 3
