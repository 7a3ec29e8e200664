"""The training step's gradients against central finite differences of the objective, in float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nn_core.config import ModelConfig
from nn_core.model import MLP
from nn_core.optimizers import SGD
from nn_core.regularizers import L1, L2

from finite_differences import numeric_gradients, relative_error

DEPTHS = {0: (), 1: (7,), 2: (6, 5)}
PENALTIES = {"none": [], "l1": [L1(0.05)], "l2": [L2(0.05)]}


def _problem(depth: int, activation: str, seed: int = 0):
    config = ModelConfig(hidden_sizes=DEPTHS[depth], activation=activation, input_size=9, num_classes=4)
    rng = np.random.default_rng(seed)
    model = MLP(config, rng, dtype=np.float64)
    for b in model.params[1::2]:
        b[...] = rng.normal(0, 0.3, b.shape)  # non-zero biases so their gradients are exercised
    x = rng.normal(size=(11, 9))
    y = rng.integers(0, 4, size=11)
    return model, x, y


@pytest.mark.parametrize(
    "depth,activation,penalty", list(itertools.product(DEPTHS, ("relu", "sigmoid", "tanh"), PENALTIES))
)
def test_gradients_match_finite_differences(depth, activation, penalty):
    model, x, y = _problem(depth, activation)
    penalties = PENALTIES[penalty]
    analytic = model.gradients(x, y, penalties)
    numeric = numeric_gradients(model.params, lambda: model.objective(x, y, penalties))
    for grad, reference in zip(analytic, numeric):
        assert relative_error(grad, reference) < 1e-6, (depth, activation, penalty)


def test_penalties_leave_biases_alone():
    model, x, y = _problem(1, "relu")
    plain = model.gradients(x, y)
    penalised = model.gradients(x, y, [L1(0.5), L2(0.5)])
    for i, (a, b) in enumerate(zip(plain, penalised)):
        if i % 2:
            np.testing.assert_array_equal(a, b)
        else:
            assert not np.allclose(a, b)


@pytest.mark.parametrize("activation", ("relu", "sigmoid", "tanh"))
def test_float32_train_step_moves_params_by_lr_times_gradient(activation):
    model64, x, y = _problem(2, activation, seed=3)
    model32 = MLP.from_params(model64.config, [p.astype(np.float32) for p in model64.params])
    model64.set_params([p.astype(np.float32) for p in model64.params])  # same starting point
    grads = model64.gradients(x, y, [L2(0.01)])
    before = [p.copy() for p in model32.params]
    xb = np.hstack([x, np.ones((len(x), 1))]).astype(np.float32)
    onehot = np.eye(4, dtype=np.float32)[y]
    loss_sum = model32.train_step(xb, onehot, 0.1, SGD(), [L2(0.01)])
    assert loss_sum / len(x) == pytest.approx(model64.objective(x, y) , rel=1e-5)
    for b, a, g in zip(before, model32.params, grads):
        np.testing.assert_allclose(b - a, 0.1 * g, rtol=1e-4, atol=1e-6)
