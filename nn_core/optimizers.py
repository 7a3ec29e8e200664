"""Optimizers updating parameters in place from *steps*: gradients already multiplied by the learning rate.

The model folds lr / batch_size into the output delta (see losses.py), so each gradient it hands
over is s = lr * g and an update is one or two in-place array operations, with no temporaries.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """W <- W - s   (s = lr * g)."""

    name = "sgd"

    def step(self, params: list[np.ndarray], steps: list[np.ndarray]) -> None:
        for p, s in zip(params, steps):
            p -= s

    def state(self) -> list[np.ndarray]:
        return []


class Momentum:
    """Heavy-ball momentum in Sutskever et al. (2013)'s form: u <- beta * u + lr * g;  W <- W - u.

    u is the learning-rate-scaled velocity. With a constant learning rate this is exactly
    PyTorch's SGD(momentum=beta) (v <- beta v + g; W <- W - lr v, with u = lr v); when a schedule
    lowers lr, the velocity already built keeps its size instead of shrinking at once.
    """

    name = "momentum"

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.velocity: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], steps: list[np.ndarray]) -> None:
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]
        beta = self.beta
        for p, s, u in zip(params, steps, self.velocity):
            u *= beta
            u += s
            p -= u

    def state(self) -> list[np.ndarray]:
        return list(self.velocity or [])


def make_optimizer(name: str, momentum: float = 0.9) -> SGD | Momentum:
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(momentum)
    raise ValueError(f"optimizer: got {name!r}, expected sgd or momentum")
