"""The multilayer perceptron: parameters, inference in chunks, and the fused training step.

Each layer is stored as one augmented array A = [W; b] of shape (fan_in + 1, fan_out), and
inputs and hidden activations carry a trailing column of ones during training, so
[a, 1] @ A = a @ W + b: the bias add, the bias gradient (the last row of [a, 1]^T @ delta) and the
bias update all ride along with the weight's matrix multiply and update. That removes three
NumPy calls per layer per step, which is most of the cost at small batch sizes.
`params` exposes the usual [W1, b1, W2, b2, ...] as views of these arrays.

The backward pass updates each layer as soon as its step is known (after the delta for the layer
below has used its old weights, so the maths is that of a separate update), computing the step
[a, 1]^T @ delta straight into the optimizer's array with one BLAS call (nn_core.gemm): momentum
then touches weight-sized memory twice per step instead of four times.
"""

from __future__ import annotations

import numpy as np

from nn_core.activations import get_activation
from nn_core.config import ModelConfig
from nn_core.gemm import AtB
from nn_core.initializers import INITIALIZERS
from nn_core.losses import cross_entropy, log_softmax, softmax_cross_entropy_delta

INFERENCE_CHUNK = 4096


def with_bias_column(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """[x, 1]: the (n, d + 1) input layout the training step expects."""
    out = np.ones((x.shape[0], x.shape[1] + 1), dtype=dtype)
    out[:, :-1] = x
    return out


class _StepBuffers:
    """Preallocated arrays for one batch size; hidden activations keep their column of ones."""

    def __init__(self, n: int, config: ModelConfig, dtype) -> None:
        widths = config.hidden_sizes
        self.hidden = [np.ones((n, w + 1), dtype=dtype) for w in widths]
        self.pre = [h[:, :-1] for h in self.hidden]
        self.delta = [np.empty((n, w), dtype=dtype) for w in widths]
        self.scratch = [np.empty((n, w), dtype=dtype) for w in widths]
        self.logits = np.empty((n, config.num_classes), dtype=dtype)
        self.row_max = np.empty((n, 1), dtype=dtype)
        self.row_sum = np.empty((n, 1), dtype=dtype)
        self.steps: dict[int, AtB] = {}
        self.inputs: list[np.ndarray] = []
        self._dropout: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def dropout_buffers(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(mask, dropped) of hidden layer `index`, made on first use: with dropout, the kept units
        (times 1/(1-p)) feed the next layer from `dropped`, while `pre` keeps the activation the
        derivative needs."""
        if index not in self._dropout:
            n, w = self.pre[index].shape
            dtype = self.pre[index].dtype
            self._dropout[index] = (np.empty((n, w), dtype=dtype), np.ones((n, w + 1), dtype=dtype))
        return self._dropout[index]

    def step_plan(self, index: int, a_in: np.ndarray, target: np.ndarray) -> AtB:
        """The prepared `target <- beta * target + a_in^T @ delta` of layer `index`."""
        plan = self.steps.get(index)
        if plan is None or plan.c is not target:
            delta = self.delta[index] if index < len(self.delta) else self.logits
            plan = self.steps[index] = AtB(a_in, delta, target)
        return plan


class _KeepGradients:
    """An 'optimizer' that leaves the weights alone, so `MLP.gradients` reads the training step's own output."""

    @staticmethod
    def begin_step(lr: float) -> float:
        return 1.0

    @staticmethod
    def accumulate_into(index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        return grad, 0.0

    @staticmethod
    def apply(index: int, param: np.ndarray, accumulated: np.ndarray) -> None:
        pass


class MLP:
    """input -> hidden layers (activation) -> softmax over num_classes.

    Args:
        config: the architecture.
        seed: an int or a Generator; the same seed gives bit-identical initial weights.
        dtype: float32 for everything real; float64 only for the gradient-check tests.
    """

    def __init__(self, config: ModelConfig, seed: int | np.random.Generator = 0, *, dtype=np.float32) -> None:
        self.config = config
        self.dtype = np.dtype(dtype)
        self.activation = get_activation(config.activation)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        init = INITIALIZERS[config.init]
        sizes = config.layer_sizes
        fans = list(zip(sizes[:-1], sizes[1:]))
        # The layers lie back to back in one buffer, so an optimizer can move them all in one
        # call (Adam does: one BLAS call instead of one per layer, at batch 32 a measurable share).
        starts = np.cumsum([0] + [(fan_in + 1) * fan_out for fan_in, fan_out in fans])
        flat = np.zeros(starts[-1], dtype=self.dtype)
        self.layers: list[np.ndarray] = [flat[lo:hi].reshape(fan_in + 1, fan_out)
                                         for (fan_in, fan_out), lo, hi in zip(fans, starts[:-1], starts[1:])]
        for layer, (fan_in, fan_out) in zip(self.layers, fans):
            layer[:-1] = init(rng, fan_in, fan_out, self.dtype)
        self.grads = [np.empty_like(layer) for layer in self.layers]
        self._buffers: dict[int, _StepBuffers] = {}

    @classmethod
    def from_params(cls, config: ModelConfig, params: list[np.ndarray], *, dtype=np.float32) -> "MLP":
        model = cls(config, 0, dtype=dtype)
        model.set_params(params)
        return model

    @property
    def params(self) -> list[np.ndarray]:
        """[W1, b1, W2, b2, ...] as views: they follow every update in place."""
        out = []
        for layer in self.layers:
            out += [layer[:-1], layer[-1]]
        return out

    @property
    def weights(self) -> list[np.ndarray]:
        return [layer[:-1] for layer in self.layers]

    def set_params(self, params: list[np.ndarray]) -> None:
        expected = [p.shape for p in self.params]
        got = [np.shape(p) for p in params]
        if got != expected:
            raise ValueError(f"params: got shapes {got}, expected {expected} for {self.config.describe()}")
        for mine, new in zip(self.params, params):
            mine[...] = new

    # ----- inference -------------------------------------------------------------------------

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Pre-softmax outputs (n, num_classes), computed in chunks to bound memory."""
        out = np.empty((len(x), self.config.num_classes), dtype=self.dtype)
        for start in range(0, len(x), INFERENCE_CHUNK):
            a = np.asarray(x[start : start + INFERENCE_CHUNK], dtype=self.dtype)
            for i, layer in enumerate(self.layers):
                a = a @ layer[:-1]
                a += layer[-1]
                if i < len(self.layers) - 1:
                    self.activation.forward(a)
            out[start : start + len(a)] = a
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.exp(log_softmax(self.logits(x)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.logits(x).argmax(axis=1)

    # ----- training --------------------------------------------------------------------------

    def train_step(self, xb, onehot, lr, optimizer, penalties=(), predictions=None, dropout=None) -> float:
        """One optimizer step on a batch; returns the batch's summed data loss (before the update).

        Args:
            xb: (n, input_size + 1) inputs with a trailing column of ones (`with_bias_column`).
            onehot: (n, num_classes) one-hot targets.
            lr: learning rate of this step.
            optimizer: `begin_step` / `accumulate_into` / `apply` (optimizers.py).
            penalties: regularizers whose gradients are added to the weights' (not biases').
            predictions: optional (n,) intp array receiving the argmax of each row.
            dropout: optional nn_core.dropout.Dropout (rates per hidden layer, masks drawn per step).
        """
        n = xb.shape[0]
        buffers = self._buffers.get(n) or self._make_buffers(n)
        prepare = getattr(optimizer, "prepare", None)
        if prepare is not None:
            prepare(self.layers)
        factor = optimizer.begin_step(lr)
        z = self._forward(xb, buffers, dropout)
        loss = softmax_cross_entropy_delta(z, onehot, factor / n, buffers.row_max, buffers.row_sum, predictions)
        self._backward(buffers, optimizer, penalties, factor, dropout)
        return loss

    def _make_buffers(self, n: int) -> _StepBuffers:
        self._buffers[n] = _StepBuffers(n, self.config, self.dtype)
        return self._buffers[n]

    def _forward(self, xb: np.ndarray, buffers: _StepBuffers, dropout=None) -> np.ndarray:
        """Logits of the batch; `buffers.inputs[i]` is the input layer i saw (for its gradient)."""
        a = xb
        inputs = buffers.inputs
        inputs.clear()
        for i, (layer, h, pre) in enumerate(zip(self.layers, buffers.hidden, buffers.pre)):
            inputs.append(a)
            np.matmul(a, layer, out=pre)
            self.activation.forward(pre)
            if dropout is not None and dropout.rates[i] > 0:
                mask, a = buffers.dropout_buffers(i)
                dropout.fill(i, mask)
                np.multiply(pre, mask, out=a[:, :-1])
            else:
                a = h
        inputs.append(a)
        np.matmul(a, self.layers[-1], out=buffers.logits)
        return buffers.logits

    def _backward(self, buffers: _StepBuffers, optimizer, penalties, scale: float, dropout=None) -> None:
        """Step every layer from the output delta in buffers.logits (already scaled by `scale`/n).

        Top layer first: its delta is passed down through its old weights (and the dropout mask
        of the layer below), then its step [a, 1]^T @ delta (+ penalty gradients) goes into the
        optimizer's array and is applied.
        """
        delta = buffers.logits
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            a_in = buffers.inputs[i]
            below = None
            if i:
                below = buffers.delta[i - 1]
                np.matmul(delta, layer[:-1].T, out=below)
                if dropout is not None and dropout.rates[i - 1] > 0:
                    below *= buffers.dropout_buffers(i - 1)[0]
                self.activation.backward(buffers.pre[i - 1], below, buffers.scratch[i - 1])
            target, beta = optimizer.accumulate_into(i, layer, self.grads[i])
            buffers.step_plan(i, a_in, target)(a_in, 1.0, beta)
            for penalty in penalties:
                penalty.add_gradient(layer[:-1], target[:-1], scale)
            optimizer.apply(i, layer, target)
            delta = below

    # ----- checks ----------------------------------------------------------------------------

    def objective(self, x: np.ndarray, y: np.ndarray, penalties=()) -> float:
        """Mean cross-entropy plus penalties: the function the training step descends."""
        data = float(cross_entropy(self.logits(x), y).mean())
        return data + sum(p.penalty(self.weights) for p in penalties)

    def gradients(self, x: np.ndarray, y: np.ndarray, penalties=(), dropout=None) -> list[np.ndarray]:
        """d objective / d params, in the `params` layout, from the training step's own code.

        With `dropout` (its masks fixed by the caller) it is the gradient of the objective of the
        network with those units dropped.
        """
        xb = with_bias_column(x, self.dtype)
        onehot = np.eye(self.config.num_classes, dtype=self.dtype)[y]
        buffers = self._buffers.get(len(x)) or self._make_buffers(len(x))
        z = self._forward(xb, buffers, dropout)
        softmax_cross_entropy_delta(z, onehot, 1.0 / len(x), buffers.row_max, buffers.row_sum)
        self._backward(buffers, _KeepGradients, penalties, 1.0, dropout)
        out = []
        for g in self.grads:
            out += [g[:-1].copy(), g[-1].copy()]
        return out
