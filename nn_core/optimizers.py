"""Optimizers updating parameters in place, layer by layer, inside the model's fused training step.

The model folds a factor into the output delta (see losses.py), so the gradient it hands over is
already scaled: `begin_step(lr)` is called once per batch and returns that factor. SGD, momentum
and Nesterov take *steps* s = lr * g (factor lr); Adam and AdamW take the plain gradient g
(factor 1) and apply lr themselves. Per layer, `accumulate_into` names the array A and the factor
beta for A <- beta * A + (factor * g), so the model can compute it straight into the optimizer's
own array with one BLAS call (nn_core.gemm), and `apply` moves the weights with it.
`step(params, grads, lr)` is the same update for gradients computed apart (tests, references).

Parameters are the model's [W; b] layers (bias in the last row) in the fused step; in `step`
they may be W and b separately. Weight decay (AdamW) never touches biases, like the penalties.
"""

from __future__ import annotations

import math

import numpy as np

from nn_core.blas1 import axpby

ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8
"""Adam's constants, PyTorch's defaults."""


class SGD:
    """W <- W - s   (s = lr * g)."""

    name = "sgd"
    fused_bias_row = True

    def begin_step(self, lr: float) -> float:
        return lr

    def accumulate_into(self, index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The step is written over the gradient buffer: A = grad, beta = 0."""
        return grad, 0.0

    def apply(self, index: int, param: np.ndarray, accumulated: np.ndarray) -> None:
        param -= accumulated

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """One update from plain gradients of `params` (W and b as separate arrays).

        It switches the optimizer to that layout (weight decay then skips 1-D arrays instead of
        last rows), so an optimizer stepped here is not also handed to `MLP.train_step`.
        """
        self.fused_bias_row = False
        factor = self.begin_step(lr)
        for i, (p, g) in enumerate(zip(params, grads)):
            scratch = np.empty_like(p)
            target, beta = self.accumulate_into(i, p, scratch)
            if target is scratch:
                target[...] = 0
            axpby(factor, np.asarray(g, dtype=p.dtype), beta, target)
            self.apply(i, p, target)

    def state(self) -> list[np.ndarray]:
        return []

    per_layer = 0
    """How many state arrays (each of its layer's shape) the optimizer keeps per layer."""

    def scalars(self) -> dict[str, float]:
        """The state that is not an array (a checkpoint stores it as JSON)."""
        return {}

    def restore(self, scalars: dict[str, float], arrays: list[np.ndarray]) -> None:
        """Continue from a checkpoint: `scalars()` and `state()` as they were (arrays are copied)."""
        if arrays:
            raise ValueError(f"{self.name} keeps no state arrays, got {len(arrays)}")


class Momentum(SGD):
    """Heavy-ball momentum in Sutskever et al. (2013)'s form: u <- beta * u + lr * g;  W <- W - u.

    u is the learning-rate-scaled velocity. With a constant learning rate this is exactly
    PyTorch's SGD(momentum=beta) (v <- beta v + g; W <- W - lr v, with u = lr v); when a schedule
    lowers lr, the velocity already built keeps its size instead of shrinking at once.
    """

    name = "momentum"
    per_layer = 1

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.velocity: dict[int, np.ndarray] = {}

    def restore(self, scalars: dict[str, float], arrays: list[np.ndarray]) -> None:
        self.velocity = {i: np.array(a) for i, a in enumerate(arrays)}

    def accumulate_into(self, index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The step is added to the decayed velocity: A = u, beta = momentum."""
        if index not in self.velocity:
            self.velocity[index] = np.zeros_like(param)
        return self.velocity[index], self.beta

    def state(self) -> list[np.ndarray]:
        return [self.velocity[i] for i in sorted(self.velocity)]


class Nesterov(SGD):
    """PyTorch's SGD(momentum=beta, nesterov=True): v <- beta v + g;  W <- W - lr (g + beta v).

    Kept as u = lr * v (the step's scale, like Momentum), so a change of lr rescales u by
    lr_new / lr_old first: the update equals PyTorch's exactly across schedule changes.
    Per layer: the step s = lr g goes into the gradient buffer, then u <- beta' u + s,
    W <- W - s - beta u (three one-pass BLAS level-1 updates).
    """

    name = "nesterov"
    per_layer = 1

    def __init__(self, beta: float = 0.9) -> None:
        self.beta = beta
        self.velocity: dict[int, np.ndarray] = {}
        self._lr: float | None = None
        self._rescale = 1.0

    def scalars(self) -> dict[str, float]:
        return {"lr": self._lr} if self._lr is not None else {}

    def restore(self, scalars: dict[str, float], arrays: list[np.ndarray]) -> None:
        self.velocity = {i: np.array(a) for i, a in enumerate(arrays)}
        self._lr = scalars.get("lr")

    def begin_step(self, lr: float) -> float:
        self._rescale = lr / self._lr if self._lr else 1.0
        self._lr = lr
        return lr

    def apply(self, index: int, param: np.ndarray, accumulated: np.ndarray) -> None:
        u = self.velocity.get(index)
        if u is None:
            u = self.velocity[index] = np.zeros_like(param)
        axpby(1.0, accumulated, self.beta * self._rescale, u)
        param -= accumulated
        axpby(-self.beta, u, 1.0, param)

    def state(self) -> list[np.ndarray]:
        return [self.velocity[i] for i in sorted(self.velocity)]


class Adam(SGD):
    """PyTorch's Adam (and AdamW with `weight_decay`), step by step:

        t <- t + 1;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
        W <- W - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    computed as W <- W - (lr c / (1 - b1^t)) * m / (sqrt(v) + eps c) with c = sqrt(1 - b2^t),
    the same number with one pass fewer. AdamW first decays the weights (not the biases) by
    W <- W (1 - lr wd), decoupled from the gradient (Loshchilov & Hutter); L2 and L1 penalties,
    if set, are added to the gradient as usual (PyTorch's Adam weight_decay is that L2).
    """

    name = "adam"
    per_layer = 2

    def __init__(self, weight_decay: float = 0.0, beta1: float = ADAM_BETA1, beta2: float = ADAM_BETA2,
                 eps: float = ADAM_EPS) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay
        self.t = 0
        self.moments: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._lr = 0.0
        self._step_size = 0.0
        self._eps = eps

    def begin_step(self, lr: float) -> float:
        self.t += 1
        c = math.sqrt(1.0 - self.beta2**self.t)
        self._lr = lr
        self._step_size = lr * c / (1.0 - self.beta1**self.t)
        self._eps = self.eps * c
        return 1.0

    def apply(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        state = self.moments.get(index)
        if state is None:
            state = self.moments[index] = (np.zeros_like(param), np.zeros_like(param), np.empty_like(param))
        m, v, scratch = state
        if self.weight_decay:
            weights = param[:-1] if self.fused_bias_row else param if param.ndim == 2 else None
            if weights is not None:
                weights *= 1.0 - self._lr * self.weight_decay
        axpby(1.0 - self.beta1, grad, self.beta1, m)
        np.square(grad, out=scratch)
        axpby(1.0 - self.beta2, scratch, self.beta2, v)
        np.sqrt(v, out=scratch)
        scratch += self._eps
        np.divide(m, scratch, out=scratch)
        axpby(-self._step_size, scratch, 1.0, param)

    def state(self) -> list[np.ndarray]:
        return [a for i in sorted(self.moments) for a in self.moments[i][:2]]

    def scalars(self) -> dict[str, float]:
        return {"t": self.t}

    def restore(self, scalars: dict[str, float], arrays: list[np.ndarray]) -> None:
        self.t = int(scalars.get("t", 0))
        self.moments = {i: (np.array(m), np.array(v), np.empty_like(m))
                        for i, (m, v) in enumerate(zip(arrays[::2], arrays[1::2]))}


class AdamW(Adam):
    name = "adamw"


def make_optimizer(name: str, momentum: float = 0.9, weight_decay: float = 0.0):
    """The optimizer a TrainConfig names; `weight_decay` is used by adamw only."""
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(momentum)
    if name == "nesterov":
        return Nesterov(momentum)
    if name == "adam":
        return Adam()
    if name == "adamw":
        return AdamW(weight_decay)
    raise ValueError(f"optimizer: got {name!r}, expected sgd, momentum, nesterov, adam or adamw")
