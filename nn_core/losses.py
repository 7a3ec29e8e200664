"""Softmax cross-entropy: a stable log-softmax for evaluation and the fused in-place training gradient.

With p = softmax(z) and a one-hot target t, the loss of one sample is
    L = -log p_y = log(sum_j e^(z_j - m)) - (z_y - m),   m = max_j z_j   (log-sum-exp; never overflows)
and its gradient is dL/dz = p - t, so the backward pass never forms log p or divides by p.
"""

from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log p = z - m - log(sum e^(z - m)); a new array."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample loss -log softmax(z)[y] (float64 for exact means over large sets)."""
    logp = log_softmax(z)
    return -logp[np.arange(len(y)), y].astype(np.float64)


def softmax_cross_entropy_delta(
    z: np.ndarray,
    onehot: np.ndarray,
    scale: float,
    row_max: np.ndarray,
    row_sum: np.ndarray,
    predictions: np.ndarray | None = None,
) -> float:
    """Overwrite the logits `z` (n, k) with scale * (softmax(z) - onehot); return the summed loss.

    `row_max` and `row_sum` are (n, 1) scratch buffers. If `predictions` (n,) intp is given, the
    argmax of each row is written to it first, so training accuracy costs one call per batch.
    The training step passes scale = lr / n: the mean over the batch and the learning rate are
    folded into the output delta, so every gradient computed from it is already a step.
    """
    if predictions is not None:
        np.argmax(z, axis=1, out=predictions)
    np.max(z, axis=1, keepdims=True, out=row_max)
    z -= row_max
    target_logits = np.vdot(z, onehot)
    np.exp(z, out=z)
    np.sum(z, axis=1, keepdims=True, out=row_sum)
    z /= row_sum
    np.log(row_sum, out=row_sum)
    loss = float(row_sum.sum()) - float(target_logits)
    z -= onehot
    z *= scale
    return loss
