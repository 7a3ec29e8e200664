"""Activations, initialisers and the softmax cross-entropy against direct formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nn_core.activations import ACTIVATIONS
from nn_core.initializers import gaussian, xavier
from nn_core.losses import cross_entropy, log_softmax, softmax_cross_entropy_delta

Z = np.array([[-100.0, -3.0, -0.5, 0.0, 0.25, 2.0, 40.0, 100.0]])
REFERENCE = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_and_derivative(name):
    act = ACTIVATIONS[name]
    f, df = REFERENCE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # extreme inputs must not overflow
        a = Z.astype(np.float32)
        act.forward(a)
        delta = np.full_like(a, 3.0)
        act.backward(a, delta, np.empty_like(a))
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(a, f(Z), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(delta, 3.0 * df(Z), rtol=1e-5, atol=1e-7)


def test_initializers():
    rng = np.random.default_rng(0)
    g = gaussian(rng, 784, 64)
    assert g.dtype == np.float32 and g.shape == (784, 64)
    assert g.std() == pytest.approx(0.01, rel=0.03)
    x = xavier(rng, 784, 64)
    limit = np.sqrt(6 / (784 + 64))
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.99 * limit
    assert x.var() == pytest.approx(2 / (784 + 64), rel=0.05)


def test_softmax_cross_entropy_is_stable_and_fused():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    y = np.array([0, 2, 1])
    expected = np.array([0.0, -np.log(np.exp(3) / np.exp([1, 2, 3]).sum()), np.log(3)])
    np.testing.assert_allclose(cross_entropy(z, y), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.exp(log_softmax(z)).sum(axis=1), 1, rtol=1e-6)

    onehot = np.eye(3, dtype=np.float32)[y]
    delta = z.copy()
    predictions = np.empty(3, dtype=np.intp)
    loss = softmax_cross_entropy_delta(
        delta, onehot, 0.5, np.empty((3, 1), np.float32), np.empty((3, 1), np.float32), predictions
    )
    assert loss == pytest.approx(expected.sum(), rel=1e-6)
    np.testing.assert_array_equal(predictions, [0, 2, 0])
    np.testing.assert_allclose(delta, 0.5 * (np.exp(log_softmax(z)) - onehot), atol=1e-7)
