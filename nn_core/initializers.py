"""Weight initialisation: the original's small Gaussian and Glorot/Xavier's uniform variant.

Biases always start at zero. `xavier` is Glorot & Bengio (2010)'s "normalized initialization",
W ~ U(-r, r) with r = sqrt(6 / (fan_in + fan_out)), i.e. Var(W) = 2 / (fan_in + fan_out)
(PyTorch's `xavier_uniform_`). The original program's "Xavier" drew N(0, 1 / fan_in), which is
LeCun's variant; both keep activations at unit scale, Glorot's also balances the backward pass.
"""

from __future__ import annotations

import numpy as np


def gaussian(rng: np.random.Generator, fan_in: int, fan_out: int, dtype=np.float32) -> np.ndarray:
    """N(0, 0.01^2), as the original program."""
    return (rng.standard_normal((fan_in, fan_out)) * 0.01).astype(dtype)


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int, dtype=np.float32) -> np.ndarray:
    """U(-sqrt(6/(fan_in+fan_out)), +sqrt(6/(fan_in+fan_out)))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)


INITIALIZERS = {"gaussian": gaussian, "xavier": xavier}
