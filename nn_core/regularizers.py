"""Weight penalties added to the objective; biases are never penalised.

`l1`: lambda * sum|W| with subgradient lambda * sign(W) (true L1: pushes weights to exactly zero).
The original program called its penalty "L1" but computed 0.5 * lambda * sum W^2; that is `l2` here:
0.5 * lambda * sum W^2 with gradient lambda * W (weight decay).
"""

from __future__ import annotations

import numpy as np


class L1:
    name = "l1"

    def __init__(self, lam: float) -> None:
        self.lam = lam
        self._scratch: dict[tuple[int, ...], np.ndarray] = {}

    def penalty(self, weights: list[np.ndarray]) -> float:
        return self.lam * sum(float(np.abs(w).sum(dtype=np.float64)) for w in weights)

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scale: float) -> None:
        """grad += scale * lambda * sign(W), without a weight-size temporary."""
        scratch = self._buffer(w)
        np.sign(w, out=scratch)
        scratch *= scale * self.lam
        grad += scratch

    def _buffer(self, w: np.ndarray) -> np.ndarray:
        key = (*w.shape, w.dtype.num)
        if key not in self._scratch:
            self._scratch[key] = np.empty_like(w)
        return self._scratch[key]


class L2(L1):
    name = "l2"

    def penalty(self, weights: list[np.ndarray]) -> float:
        return 0.5 * self.lam * sum(float(np.square(w, dtype=np.float64).sum()) for w in weights)

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scale: float) -> None:
        """grad += scale * lambda * W."""
        scratch = self._buffer(w)
        np.multiply(w, scale * self.lam, out=scratch)
        grad += scratch


def make_penalties(l1: bool, l1_lambda: float, l2_lambda: float) -> list[L1]:
    """The penalties a TrainConfig asks for (both may be on: elastic net)."""
    out: list[L1] = []
    if l1 and l1_lambda > 0:
        out.append(L1(l1_lambda))
    if l2_lambda > 0:
        out.append(L2(l2_lambda))
    return out
