"""The fused training step (step computed straight into the optimizer's array) against the textbook update.

Reference: gradients from `MLP.gradients` (checked against finite differences elsewhere), then
the optimizer's plain `step(params, grads, lr)` on W and b as separate arrays. Both in float32, so the fused BLAS path runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import ModelConfig
from nn_core.gemm import numpy_sgemm
from nn_core.model import MLP, with_bias_column
from nn_core.optimizers import make_optimizer
from nn_core.regularizers import L1, L2


@pytest.mark.parametrize("hidden", [(), (16,), (16, 8)])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "adamw"])
@pytest.mark.parametrize("penalized", [False, True])
def test_fused_step_equals_gradient_then_update(hidden, optimizer, penalized):
    assert numpy_sgemm() is not None
    config = ModelConfig(hidden_sizes=hidden, input_size=30, num_classes=5)
    fused, reference = MLP(config, 0), MLP(config, 0)
    opt_fused, opt_ref = make_optimizer(optimizer, 0.9, 0.1), make_optimizer(optimizer, 0.9, 0.1)
    penalties = [L1(1e-3), L2(1e-2)] if penalized else []
    rng = np.random.default_rng(1)
    for lr in (0.1, 0.1, 0.05, 0.05):
        x = rng.normal(size=(6, 30)).astype(np.float32)
        y = rng.integers(0, 5, size=6)
        grads = reference.gradients(x, y, penalties)
        opt_ref.step(reference.params, grads, lr)
        fused.train_step(with_bias_column(x), np.eye(5, dtype=np.float32)[y], lr, opt_fused, penalties)
    for a, b in zip(fused.params, reference.params):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    # The optimizer's state (velocity or moments, the same numbers in the fused [W; b] layout) matches too.
    per_array = len(opt_ref.state()) // len(reference.params)
    ref_state = [opt_ref.state()[i::per_array] for i in range(per_array)]
    fused_state = [opt_fused.state()[i::per_array] for i in range(per_array)]
    if per_array:
        assert len(fused_state[0]) == len(hidden) + 1
    for ref, fus in zip(ref_state, fused_state):
        for u, (v_w, v_b) in zip(fus, zip(ref[0::2], ref[1::2])):
            np.testing.assert_allclose(u, np.vstack([v_w, v_b]), rtol=2e-5, atol=2e-6)
