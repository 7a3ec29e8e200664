"""Layer statistics against values worked out by hand on a tiny network."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.layer_stats import HIST_BINS, LayerStats, activation_stats, gradient_norms, histogram
from nn_core.model import MLP, with_bias_column
from nn_core.train import Trainer


def _tiny(activation="relu") -> MLP:
    """2 inputs -> 3 hidden -> 2 classes with weights chosen so each unit's fate is plain."""
    model = MLP(ModelConfig(input_size=2, hidden_sizes=(3,), num_classes=2, activation=activation), 0, dtype=np.float64)
    w1 = np.array([[1.0, -1.0, 0.5], [0.0, -2.0, 0.5]])  # unit 2 gets -x0 - 2 x1 - 1: dead on x >= 0
    b1 = np.array([0.0, -1.0, 0.0])
    w2 = np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]])
    b2 = np.array([0.5, -0.5])
    model.set_params([w1, b1, w2, b2])
    return model


PROBE = np.array([[1.0, 0.0], [0.0, 2.0], [2.0, 2.0]])


def test_relu_activations_and_dead_units_by_hand():
    stats = activation_stats(_tiny(), PROBE)
    # hidden outputs: [1,0,.5], [0,0,1], [2,0,2] -> mean 6.5/9, unit 2 never active (1 of 3 dead)
    hidden = np.array([[1, 0, 0.5], [0, 0, 1], [2, 0, 2]])
    assert stats[0]["act_mean"] == pytest.approx(6.5 / 9)
    assert stats[0]["act_sd"] == pytest.approx(hidden.std())
    assert stats[0]["dead"] == pytest.approx(1 / 3) and stats[0]["saturated"] is None
    # logits = hidden @ w2 + b2: [1.5, 0], [0.5, 2.5], [2.5, 3.5]
    logits = np.array([[1.5, 0.0], [0.5, 2.5], [2.5, 3.5]])
    assert stats[1]["act_mean"] == pytest.approx(10.5 / 6) == logits.mean() and stats[1]["dead"] is None


def test_tanh_saturation_by_hand():
    model = _tiny("tanh")
    w1, b1, w2, b2 = model.params
    w1[:, 0] = 10.0  # unit 0 sees 10 (x0 + x1) >= 10 on every probe image: saturated
    stats = activation_stats(model, PROBE)
    # unit 1: tanh(-x0 - 2 x1 - 1) = tanh(-2), tanh(-5), tanh(-7): 1 - tanh(-2)^2 = 0.07 is not flat
    assert stats[0]["saturated"] == pytest.approx(1 / 3) and stats[0]["dead"] is None
    w1[:, 1] = -10.0
    assert activation_stats(model, PROBE)[0]["saturated"] == pytest.approx(2 / 3)


def test_gradient_norms_match_finite_differences():
    model = _tiny()
    x, y = PROBE + 0.25, np.array([0, 1, 1])  # off the ReLU kinks (unit 0 is exactly 0 on PROBE[1])
    onehot = np.eye(2)[y]
    norms = gradient_norms(model, with_bias_column(x, np.float64), onehot)
    numeric = []
    for layer in model.layers:
        g = np.zeros_like(layer)
        for idx in np.ndindex(layer.shape):
            keep = layer[idx]
            layer[idx] = keep + 1e-6
            up = model.objective(x, y)
            layer[idx] = keep - 1e-6
            down = model.objective(x, y)
            layer[idx] = keep
            g[idx] = (up - down) / 2e-6
        numeric.append(np.linalg.norm(g))
    assert norms == pytest.approx(numeric, rel=1e-6)


def test_update_ratio_of_one_sgd_step_is_lr_times_gradient_over_weights():
    model = _tiny()
    x, y = PROBE, np.array([0, 1, 1])
    before = [layer.copy() for layer in model.layers]
    expected_grads = gradient_norms(_tiny(), with_bias_column(x, np.float64), np.eye(2)[y])
    stats = LayerStats(model, PROBE)
    config = TrainConfig(optimizer="sgd", learning_rate=0.1, batch_size=3, epochs=1, schedule="constant")
    records = list(Trainer(model, config, (x, y), layer_stats=stats).run())
    layers = records[0].layers
    assert [row["grad_norm"] for row in layers] == pytest.approx(expected_grads)
    for row, old, grad in zip(layers, before, expected_grads):
        assert row["update_ratio"] == pytest.approx(0.1 * grad / np.linalg.norm(old))
    assert [row["weight_norm"] for row in layers] == pytest.approx([np.linalg.norm(l[:-1]) for l in model.layers])
    assert records[0].as_dict()["layers"] == layers


def test_histogram_counts_now_and_initial_weights_on_one_range():
    now, init = np.array([-2.0, 0.1, 0.2, 1.9]), np.array([0.5, -0.5, 0.0, 0.0])
    hist = histogram(now, init)
    assert (hist["lo"], hist["hi"]) == (-2.0, 2.0)
    assert sum(hist["now"]) == 4 and sum(hist["init"]) == 4 and len(hist["now"]) == HIST_BINS
    assert hist["now"][0] == 1 and hist["now"][-1] == 1  # -2 in the first bin, 1.9 in the last
    assert hist["init"][HIST_BINS // 2] == 2  # the two zeros sit just above the middle edge


def test_a_trainer_without_stats_records_none():
    model = _tiny()
    config = TrainConfig(optimizer="sgd", learning_rate=0.1, batch_size=3, epochs=1, schedule="constant")
    record = next(iter(Trainer(model, config, (PROBE, np.array([0, 1, 1]))).run()))
    assert record.layers is None and "layers" not in record.as_dict()


def test_a_run_that_explodes_names_its_dead_units(mnist):
    x, y = mnist["x_train"][:2000], mnist["y_train"][:2000]
    model = MLP(ModelConfig(hidden_sizes=(64,)), 0)
    config = TrainConfig(optimizer="momentum", learning_rate=3.0, epochs=1)
    trainer = Trainer(model, config, (x, y), layer_stats=LayerStats(model, x[:1000]))
    assert list(trainer.run()) == []
    assert trainer.status == "diverged" and "the loss exploded" in trainer.message
    assert " of 64 units of hidden layer 1 were dead (never active) on the probe images." in trainer.message
