"""Learning-rate schedules: epoch (1-based) -> learning rate, constant within an epoch."""

from __future__ import annotations

import math


class Constant:
    """lr(e) = lr0."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def __call__(self, epoch: int) -> float:
        return self.lr


class Decay:
    """lr(e) = lr0 * rate^(e-1): the original program's x0.98 per epoch."""

    def __init__(self, lr: float, rate: float = 0.98) -> None:
        self.lr = lr
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.lr * self.rate ** (epoch - 1)


class Cosine:
    """lr(e) = lr0 * (1 + cos(pi * (e-1) / E)) / 2 over the E planned epochs.

    PyTorch's CosineAnnealingLR(T_max=E, eta_min=0) stepped per epoch: full rate in epoch 1,
    a small but non-zero rate in the last epoch.
    """

    def __init__(self, lr: float, epochs: int) -> None:
        self.lr = lr
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / self.epochs))


def make_schedule(name: str, lr: float, *, epochs: int, decay_rate: float = 0.98):
    if name == "constant":
        return Constant(lr)
    if name == "decay":
        return Decay(lr, decay_rate)
    if name == "cosine":
        return Cosine(lr, epochs)
    raise ValueError(f"schedule: got {name!r}, expected constant, decay or cosine")
