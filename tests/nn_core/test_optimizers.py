"""Optimizers and schedules against their hand-written formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core.optimizers import SGD, Momentum, make_optimizer
from nn_core.schedules import Constant, Cosine, Decay, make_schedule


def _grads(rng, shapes, steps):
    return [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(steps)]


def test_sgd_subtracts_the_step():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)]
    start = [p.copy() for p in params]
    (grads,) = _grads(rng, [(3, 2), (2,)], 1)
    SGD().step(params, grads, 0.5)
    for p, p0, g in zip(params, start, grads):
        np.testing.assert_allclose(p, p0 - np.float32(0.5) * g, rtol=1e-6)


def test_momentum_matches_pytorch_form_for_constant_lr():
    """v <- beta v + g; W <- W - lr v (PyTorch), with steps s = lr * g handed to ours."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3))
    ours = [w.astype(np.float32)]
    lr, beta = 0.05, 0.9
    v = np.zeros_like(w)
    opt = Momentum(beta)
    for (g,) in _grads(rng, [(4, 3)], 5):
        v = beta * v + g
        w = w - lr * v
        opt.step(ours, [g.astype(np.float32)], lr)
    np.testing.assert_allclose(ours[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.state()[0], lr * v, rtol=1e-5, atol=1e-7)


def test_momentum_keeps_velocity_when_lr_changes():
    """u <- beta u + lr_t g; W <- W - u (Sutskever form) for a changing lr."""
    rng = np.random.default_rng(2)
    w = np.zeros(3)
    ours = [w.astype(np.float32)]
    u = np.zeros(3)
    opt = Momentum(0.5)
    for lr, (g,) in zip((0.1, 0.05, 0.01), _grads(rng, [(3,)], 3)):
        u = 0.5 * u + lr * g
        w = w - u
        opt.step(ours, [g], lr)
    np.testing.assert_allclose(ours[0], w, rtol=1e-6)


def test_make_optimizer_refuses_unknown_names():
    assert isinstance(make_optimizer("sgd"), SGD)
    assert make_optimizer("momentum", 0.8).beta == 0.8
    assert make_optimizer("nesterov", 0.7).beta == 0.7
    assert make_optimizer("adamw", weight_decay=0.2).weight_decay == 0.2
    assert make_optimizer("adam").weight_decay == 0
    with pytest.raises(ValueError, match="adamw"):
        make_optimizer("rmsprop")


def test_schedules_follow_their_formulas():
    assert [Constant(0.1)(e) for e in (1, 7)] == [0.1, 0.1]
    decay = Decay(0.1, 0.98)
    assert decay(1) == 0.1
    assert decay(11) == pytest.approx(0.1 * 0.98**10)
    cos = Cosine(0.2, 10)
    assert cos(1) == 0.2
    assert cos(6) == pytest.approx(0.1)
    assert cos(10) == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi * 0.9)))
    lrs = [cos(e) for e in range(1, 11)]
    assert all(a > b > 0 for a, b in zip(lrs, lrs[1:]))


def test_make_schedule_uses_config_values():
    assert make_schedule("decay", 0.5, epochs=3, decay_rate=0.5)(3) == 0.125
    assert make_schedule("cosine", 1.0, epochs=4)(3) == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)))
    with pytest.raises(ValueError, match="step"):
        make_schedule("step", 0.1, epochs=3)
