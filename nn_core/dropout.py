"""Inverted dropout for hidden layers: training only, so evaluation needs no rescaling.

Each training step draws, per hidden layer with rate p > 0, a mask of 0 (dropped, probability p)
and 1/(1-p) (kept); the layer's activations are multiplied by it and so is the delta flowing back
through them. The expected activation equals the undropped one, which is why inference (MLP.logits)
simply uses every unit. Masks come from their own seeded generator, so a run is reproducible and
its shuffling does not depend on whether dropout is on.
"""

from __future__ import annotations

import numpy as np


class Dropout:
    """Masks for `MLP.train_step`: `rates[i]` is hidden layer i's; `fill(i, mask)` draws a fresh one."""

    def __init__(self, rates: tuple[float, ...], rng: np.random.Generator) -> None:
        self.rates = tuple(float(r) for r in rates)
        self.rng = rng
        self._keep: dict[tuple[int, ...], np.ndarray] = {}

    def fill(self, index: int, mask: np.ndarray) -> None:
        """Write a mask of 0 and 1/(1-p) into `mask` (float32 or float64), with no allocation after the first call."""
        p = self.rates[index]
        keep = self._keep.get(mask.shape)
        if keep is None:
            keep = self._keep[mask.shape] = np.empty(mask.shape, dtype=bool)
        self.rng.random(dtype=mask.dtype, out=mask)
        np.greater_equal(mask, p, out=keep)
        np.multiply(keep, 1.0 / (1.0 - p), out=mask)
