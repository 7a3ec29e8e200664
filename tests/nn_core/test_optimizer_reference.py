"""nn_core's optimizers against torch.optim, step by step, from a fixture torch wrote once.

The fixture (tests/nn_core/fixtures/optimizer_reference.npz) comes from bench/optimizer_reference.py:
W and b after each of 8 steps of fixed gradients, with the learning rate cut after step 4.
Momentum keeps its velocity's size when lr changes (Sutskever form, see optimizers.py), so it is
compared over the constant-lr steps only; every other optimizer over all 8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_core.optimizers import Adam, make_optimizer

FIXTURE = Path(__file__).parent / "fixtures" / "optimizer_reference.npz"


@pytest.fixture(scope="module")
def ref():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


def _trajectory(opt, ref, steps):
    params = [ref["w0"].copy(), ref["b0"].copy()]
    out = []
    for t in range(steps):
        opt.step(params, [ref["grads_w"][t], ref["grads_b"][t]], float(ref["lrs"][t]))
        out.append([p.copy() for p in params])
    return out


def _assert_matches(name, ours, ref):
    for t, (w, b) in enumerate(ours):
        np.testing.assert_allclose(w, ref[f"{name}_w"][t], rtol=1e-5, atol=1e-6, err_msg=f"{name} W after step {t + 1}")
        np.testing.assert_allclose(b, ref[f"{name}_b"][t], rtol=1e-5, atol=1e-6, err_msg=f"{name} b after step {t + 1}")


@pytest.mark.parametrize("name", ["sgd", "nesterov", "adam", "adamw"])
def test_optimizer_follows_torch_through_a_schedule_change(ref, name):
    opt = make_optimizer(name, float(ref["momentum"]), float(ref["weight_decay"]))
    steps = len(ref["lrs"])
    assert ref["lrs"][0] != ref["lrs"][-1]
    _assert_matches(name, _trajectory(opt, ref, steps), ref)


def test_momentum_follows_torch_while_lr_is_constant(ref):
    constant = int(np.argmax(ref["lrs"] != ref["lrs"][0]))
    _assert_matches("momentum", _trajectory(make_optimizer("momentum", float(ref["momentum"])), ref, constant), ref)


class _NoBiasCorrection(Adam):
    """Adam without its bias correction: what the fixture must catch."""

    def begin_step(self, lr):
        factor = super().begin_step(lr)
        self._step_size, self._eps = lr, self.eps
        return factor


class _DecayedBiases(Adam):
    """AdamW that decays the biases too."""

    def apply(self, index, param, grad):
        if param.ndim == 1:
            param *= 1.0 - self._lr * self.weight_decay
        super().apply(index, param, grad)


@pytest.mark.parametrize("wrong,name", [(_NoBiasCorrection(), "adam"), (_DecayedBiases(0.1), "adamw"),
                                        (make_optimizer("adam"), "adamw"), (make_optimizer("momentum"), "nesterov")])
def test_the_fixture_tells_wrong_optimizers_apart(ref, wrong, name):
    with pytest.raises(AssertionError):
        _assert_matches(name, _trajectory(wrong, ref, len(ref["lrs"])), ref)
