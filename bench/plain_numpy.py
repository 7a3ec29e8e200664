"""The straightforward NumPy training loop: the reference the engine's speed is judged against."""

from __future__ import annotations

import numpy as np


def init_params(sizes: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """Xavier-style N(0, 1/fan_in) weights and zero biases, float32: [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


class PlainNumpy:
    """ReLU MLP with softmax cross-entropy and momentum SGD, written the obvious way."""

    name = "plain numpy"

    def __init__(self, sizes: tuple[int, ...], batch_size: int, lr: float, momentum: float, seed: int):
        self.params = init_params(sizes, seed)
        self.velocity = [np.zeros_like(p) for p in self.params]
        self.batch_size, self.lr, self.momentum = batch_size, lr, momentum
        self.rng = np.random.default_rng(seed)

    def train_epoch(self, x: np.ndarray, y: np.ndarray) -> float:
        """One shuffled pass over (x, y); returns the mean training loss."""
        order = self.rng.permutation(len(x))
        batches = len(x) // self.batch_size
        total = 0.0
        for i in range(batches):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            total += self._step(x[idx], y[idx])
        return total / batches

    def _step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        weights = self.params[0::2]
        activations = [xb]
        for layer, (w, b) in enumerate(zip(weights, self.params[1::2])):
            z = activations[-1] @ w + b
            activations.append(np.maximum(z, 0) if layer < len(weights) - 1 else z)
        logits = activations.pop()
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(yb))
        loss = -log_probs[rows, yb].mean()
        delta = np.exp(log_probs)
        delta[rows, yb] -= 1
        delta /= len(yb)
        grads = []
        for layer in range(len(weights) - 1, -1, -1):
            a = activations[layer]
            grads[:0] = [a.T @ delta, delta.sum(axis=0)]
            if layer:
                delta = (delta @ weights[layer].T) * (a > 0)
        for p, v, g in zip(self.params, self.velocity, grads):
            v *= self.momentum
            v += g
            p -= self.lr * v
        return float(loss)
