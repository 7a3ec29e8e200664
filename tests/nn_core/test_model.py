"""MLP construction, parameter views, seeding and inference."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import model as model_module
from nn_core.config import ModelConfig
from nn_core.model import MLP


def test_layout_dtype_and_zero_biases():
    m = MLP(ModelConfig(hidden_sizes=(64, 32), init="gaussian"), 0)
    assert [p.shape for p in m.params] == [(784, 64), (64,), (64, 32), (32,), (32, 10), (10,)]
    assert all(p.dtype == np.float32 for p in m.params)
    assert all(not b.any() for b in m.params[1::2])
    assert all(w.std() == pytest.approx(0.01, rel=0.1) for w in m.params[0::2])


def test_params_are_live_views_of_the_trained_arrays():
    m = MLP(ModelConfig(hidden_sizes=()), 0)
    w, b = m.params
    m.layers[0] += 1.0
    np.testing.assert_array_equal(b, np.ones(10, np.float32))
    assert w is not None and np.shares_memory(w, m.layers[0])


def test_same_seed_same_weights_other_seed_other_weights():
    cfg = ModelConfig(hidden_sizes=(16,))
    a, b, c = MLP(cfg, 3), MLP(cfg, np.random.default_rng(3)), MLP(cfg, 4)
    for pa, pb, pc in zip(a.params[0::2], b.params[0::2], c.params[0::2]):
        np.testing.assert_array_equal(pa, pb)
        assert not np.array_equal(pa, pc)


def test_inference_in_chunks_matches_one_pass(monkeypatch):
    cfg = ModelConfig(hidden_sizes=(8,), activation="tanh", input_size=5, num_classes=3)
    m = MLP(cfg, 1)
    x = np.random.default_rng(0).normal(size=(23, 5)).astype(np.float32)
    w1, b1, w2, b2 = m.params
    expected = np.tanh(x @ w1 + b1) @ w2 + b2
    monkeypatch.setattr(model_module, "INFERENCE_CHUNK", 4)
    np.testing.assert_allclose(m.logits(x), expected, rtol=1e-5, atol=1e-6)
    proba = m.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(m.predict(x), expected.argmax(axis=1))


def test_set_params_refuses_wrong_shapes():
    m = MLP(ModelConfig(hidden_sizes=(4,)), 0)
    with pytest.raises(ValueError, match="784-4-10"):
        m.set_params([np.zeros((784, 5)), np.zeros(5), np.zeros((5, 10)), np.zeros(10)])
