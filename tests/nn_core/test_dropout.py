"""Inverted dropout: masks, the gradient through fixed masks, and evaluation without it."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import ConfigError, ModelConfig, TrainConfig
from nn_core.dropout import Dropout
from nn_core.metrics import loss_and_accuracy
from nn_core.model import MLP, with_bias_column
from nn_core.optimizers import SGD
from nn_core.regularizers import L2
from nn_core.train import Trainer

from finite_differences import numeric_gradients, relative_error

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
}


class FixedMasks:
    """A Dropout stand-in whose masks are chosen by the test."""

    def __init__(self, rates, masks):
        self.rates, self.masks = rates, masks

    def fill(self, index, mask):
        mask[...] = self.masks[index]


def _masks(rng, n, widths, rates):
    return [(rng.random((n, w)) >= p) / (1 - p) for w, p in zip(widths, rates)]


def _objective(model, x, y, masks, penalties):
    """The formula: h_i = act(h_{i-1} W_i + b_i) * m_i; mean cross-entropy of softmax(h W + b) + penalties."""
    params = model.params
    a = x
    for i, m in enumerate(masks):
        a = ACTIVATIONS[model.config.activation](a @ params[2 * i] + params[2 * i + 1]) * m
    z = a @ params[-2] + params[-1]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean() + sum(p.penalty(model.weights) for p in penalties)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("hidden,rates", [((7,), (0.5,)), ((6, 5), (0.3, 0.6)), ((6, 5), (0.0, 0.4))])
def test_gradient_through_fixed_masks_matches_finite_differences(activation, hidden, rates):
    rng = np.random.default_rng(4)
    model = MLP(ModelConfig(hidden_sizes=hidden, activation=activation, input_size=9, num_classes=4), rng, dtype=np.float64)
    for b in model.params[1::2]:
        b[...] = rng.normal(0, 0.3, b.shape)
    x, y = rng.normal(size=(11, 9)), rng.integers(0, 4, size=11)
    masks = _masks(rng, 11, hidden, rates)
    penalties = [L2(0.05)]
    analytic = model.gradients(x, y, penalties, FixedMasks(rates, masks))
    numeric = numeric_gradients(model.params, lambda: _objective(model, x, y, masks, penalties))
    for grad, reference in zip(analytic, numeric):
        assert relative_error(grad, reference) < 1e-6
    # Dropped units get no gradient in the weights that feed them.
    dropped = ~masks[0].any(axis=0)
    if dropped.any():
        assert np.all(analytic[0][:, dropped] == 0)


def test_train_step_loss_is_the_dropped_networks_loss():
    rng = np.random.default_rng(5)
    config = ModelConfig(hidden_sizes=(8, 6), activation="sigmoid", input_size=10, num_classes=3)
    model = MLP(config, 1)
    x, y = rng.normal(size=(7, 10)).astype(np.float32), rng.integers(0, 3, size=7)
    masks = _masks(rng, 7, (8, 6), (0.5, 0.25))
    expected = _objective(MLP.from_params(config, [p.astype(np.float64) for p in model.params], dtype=np.float64),
                          x.astype(np.float64), y, masks, [])
    loss = model.train_step(with_bias_column(x), np.eye(3, dtype=np.float32)[y], 0.1, SGD(), (),
                            dropout=FixedMasks((0.5, 0.25), [m.astype(np.float32) for m in masks]))
    assert loss / 7 == pytest.approx(expected, rel=1e-5)


def test_masks_are_inverted_seeded_and_fresh():
    mask = np.empty((400, 250), dtype=np.float32)
    a, b = Dropout((0.2,), np.random.default_rng(7)), Dropout((0.2,), np.random.default_rng(7))
    a.fill(0, mask)
    first = mask.copy()
    assert set(np.unique(first)) == {np.float32(0), np.float32(1 / 0.8)}
    assert np.mean(first == 0) == pytest.approx(0.2, abs=0.01)
    assert first.mean() == pytest.approx(1.0, abs=0.02)  # inverted: the expected activation is unchanged
    b.fill(0, mask)
    np.testing.assert_array_equal(mask, first)
    a.fill(0, mask)
    assert not np.array_equal(mask, first)


def test_dropout_rates_fit_the_network():
    assert TrainConfig(dropout=(0.2,)).dropout_rates(2) == (0.2, 0.2)
    assert TrainConfig(dropout=[0.1, 0.3]).dropout_rates(2) == (0.1, 0.3)
    assert TrainConfig().dropout_rates(2) == (0.0, 0.0)
    with pytest.raises(ConfigError, match="without hidden layers"):
        TrainConfig(dropout=(0.2,)).dropout_rates(0)
    with pytest.raises(ConfigError, match="one per hidden layer"):
        TrainConfig(dropout=(0.1, 0.2, 0.3)).dropout_rates(2)
    for bad in ((1.0,), (-0.1,), (float("nan"),)):
        with pytest.raises(ConfigError, match="dropout"):
            TrainConfig(dropout=bad)


def test_dropout_is_off_at_evaluation_and_changes_training(mnist):
    train = (mnist["x_train"][:2000], mnist["y_train"][:2000])
    val = (mnist["x_train"][-500:], mnist["y_train"][-500:])

    def run(rates):
        model = MLP(ModelConfig(hidden_sizes=(32,)), 0)
        records = list(Trainer(model, TrainConfig(epochs=1, dropout=rates), train, val).run())
        return model, records[0]

    model, record = run((0.5,))
    val_loss, val_acc = loss_and_accuracy(model, *val)  # the full network, no masks
    assert record.val_loss == pytest.approx(val_loss, rel=1e-6) and record.val_acc == val_acc
    plain, plain_record = run(())
    assert not np.array_equal(model.params[0], plain.params[0])
    assert record.train_loss > plain_record.train_loss  # half the units dropped while training
