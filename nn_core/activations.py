"""Hidden-layer activations, applied in place on preallocated buffers.

Each activation has `forward(z)` (overwrites the pre-activation with the activation) and
`backward(a, delta, scratch)` (multiplies `delta` in place by the derivative, written in terms
of the activation output `a`, so no pre-activation has to be kept).
"""

from __future__ import annotations

import numpy as np


class ReLU:
    """a = max(z, 0); da/dz = 1 where a > 0 else 0 (0 at the kink, as PyTorch)."""

    name = "relu"

    @staticmethod
    def forward(z: np.ndarray) -> None:
        np.maximum(z, 0, out=z)

    @staticmethod
    def backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
        # a >= 0, so sign(a) is exactly the 0/1 mask, produced in the delta's own dtype.
        np.sign(a, out=scratch)
        delta *= scratch


class Sigmoid:
    """a = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows; da/dz = a(1 - a)."""

    name = "sigmoid"

    @staticmethod
    def forward(z: np.ndarray) -> None:
        z *= 0.5
        np.tanh(z, out=z)
        z *= 0.5
        z += 0.5

    @staticmethod
    def backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
        np.subtract(1, a, out=scratch)
        scratch *= a
        delta *= scratch


class Tanh:
    """a = tanh(z); da/dz = 1 - a^2."""

    name = "tanh"

    @staticmethod
    def forward(z: np.ndarray) -> None:
        np.tanh(z, out=z)

    @staticmethod
    def backward(a: np.ndarray, delta: np.ndarray, scratch: np.ndarray) -> None:
        np.square(a, out=scratch)
        np.subtract(1, scratch, out=scratch)
        delta *= scratch


ACTIVATIONS = {cls.name: cls for cls in (ReLU, Sigmoid, Tanh)}


def get_activation(name: str):
    """The activation class for a ModelConfig.activation name."""
    return ACTIVATIONS[name]
