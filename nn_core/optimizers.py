"""Optimizers updating parameters in place from *steps*: gradients already multiplied by the learning rate.

The model folds lr / batch_size into the output delta (see losses.py), so each gradient it hands
over is s = lr * g. An optimizer works layer by layer in two calls, so the model can compute the
step straight into the optimizer's own array with one BLAS call (nn_core.gemm):
`accumulate_into` names the array A and the factor beta for A <- beta * A + s, and `apply`
moves the weights with it. `step(params, steps)` is the same update for steps computed apart.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """W <- W - s   (s = lr * g)."""

    name = "sgd"

    def accumulate_into(self, index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The step is written over the gradient buffer: A = grad, beta = 0."""
        return grad, 0.0

    def apply(self, index: int, param: np.ndarray, accumulated: np.ndarray) -> None:
        param -= accumulated

    def step(self, params: list[np.ndarray], steps: list[np.ndarray]) -> None:
        for i, (p, s) in enumerate(zip(params, steps)):
            self.apply(i, p, s)

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
        self.velocity: dict[int, np.ndarray] = {}

    def accumulate_into(self, index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The step is added to the decayed velocity: A = u, beta = momentum."""
        if index not in self.velocity:
            self.velocity[index] = np.zeros_like(param)
        return self.velocity[index], self.beta

    def apply(self, index: int, param: np.ndarray, accumulated: np.ndarray) -> None:
        param -= accumulated

    def step(self, params: list[np.ndarray], steps: list[np.ndarray]) -> None:
        for i, (p, s) in enumerate(zip(params, steps)):
            u, beta = self.accumulate_into(i, p, s)
            _accumulate(u, beta, s)
            self.apply(i, p, u)

    def state(self) -> list[np.ndarray]:
        return [self.velocity[i] for i in sorted(self.velocity)]


def _accumulate(target: np.ndarray, beta: float, step: np.ndarray) -> None:
    """target <- beta * target + step, for a step computed apart."""
    target *= beta
    target += step


def make_optimizer(name: str, momentum: float = 0.9) -> SGD | Momentum:
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(momentum)
    raise ValueError(f"optimizer: got {name!r}, expected sgd or momentum")
