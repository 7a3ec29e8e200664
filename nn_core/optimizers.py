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

from nn_core.blas1 import axpby, bound_axpby

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

    def prepare(self, params: list[np.ndarray]) -> None:
        """Called with the parameters before the first step; only Adam lays out buffers here."""

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

    computed as W <- W - (lr c / (1 - b1^t)) * m / (sqrt(v) + eps c) with c = sqrt(1 - b2^t)
    (the bias corrections folded into two scalars, as PyTorch's own kernel does): the same
    number with one pass fewer. AdamW also decays the weights (not the biases) by
    W <- W (1 - lr wd), decoupled from the gradient (Loshchilov & Hutter), in the same BLAS call
    that moves them; L2 and L1 penalties, if set, are added to the gradient as usual (PyTorch's
    Adam weight_decay is that L2).

    Why flat buffers: g, m and v each live in one flat array for all layers (each layer's part
    a view of its shape, `prepare`). The model writes each layer's gradient into its view; once
    the last layer is handed over, the element-wise update runs once over the whole model, which
    matters at batch 32, where the small layers' updates cost mostly call overhead. (The update
    is the same: each layer's backward pass has already used its old weights before any layer
    moves.) The gradient's buffer doubles as the scratch array once m and v have used it (one
    parameter-sized array less to keep in cache), and when the layers themselves lie back to
    back in one buffer (MLP's do), the weights move in one call too: seven passes over memory
    per step in all, of which the square root is the dearest.
    """

    name = "adam"
    per_layer = 2

    def __init__(self, weight_decay: float = 0.0, beta1: float = ADAM_BETA1, beta2: float = ADAM_BETA2,
                 eps: float = ADAM_EPS) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay
        self.t = 0
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # g, m, v
        self._views: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._params: list[np.ndarray | None] = []
        self._bound: list[np.ndarray | None] = []  # the params the moves below were made for
        self._moves: list[tuple[object, bool]] = []  # (bound W <- beta W - s * step, decays?); [] to rebind
        self._flat_updates: tuple = ()
        self._pending = 0
        self._restored: list[np.ndarray] | None = None
        self._lr = 0.0
        self._step_size = 0.0
        self._eps = eps

    def prepare(self, params: list[np.ndarray]) -> None:
        """Lay out the flat buffers for `params` (once; later calls do nothing)."""
        if self._flat is not None:
            return
        total = sum(p.size for p in params)
        self._flat = tuple(np.zeros(total, dtype=params[0].dtype) for _ in range(3))
        offsets = np.cumsum([0] + [p.size for p in params])
        self._views = [tuple(flat[lo:hi].reshape(p.shape) for flat in self._flat)
                       for p, lo, hi in zip(params, offsets[:-1], offsets[1:])]
        self._params = [None] * len(params)
        self._bound = [None] * len(params)
        g, m, v = self._flat
        self._flat_updates = (bound_axpby(g, m), bound_axpby(g, v))
        self._copy_restored()

    def _copy_restored(self) -> None:
        if self._restored is None or self._flat is None:
            return
        if len(self._restored) != 2 * len(self._views):
            raise ValueError(f"adam: {len(self._restored)} state arrays restored, expected {2 * len(self._views)}")
        for (_, m, v), m_saved, v_saved in zip(self._views, self._restored[::2], self._restored[1::2]):
            np.copyto(m, m_saved)
            np.copyto(v, v_saved)
        self._restored = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        self.prepare(params)
        super().step(params, grads, lr)

    def begin_step(self, lr: float) -> float:
        self.t += 1
        c = math.sqrt(1.0 - self.beta2**self.t)
        self._lr = lr
        self._step_size = lr * c / (1.0 - self.beta1**self.t)
        self._eps = self.eps * c
        return 1.0

    def accumulate_into(self, index: int, param: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, float]:
        """The gradient goes into this layer's part of the flat gradient (beta 0: overwritten)."""
        if self._flat is None:
            raise RuntimeError("adam: prepare(params) must lay out its buffers before the first step")
        return self._views[index][0], 0.0

    def apply(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        self._params[index] = param
        if param is not self._bound[index]:
            self._moves = []
        self._pending += 1
        if self._pending == len(self._params):
            self._pending = 0
            self._update()

    def _update(self) -> None:
        g, m, v = self._flat
        update_m, update_v = self._flat_updates
        update_m(1.0 - self.beta1, self.beta1)
        np.multiply(g, g, out=g)  # from here on g is scratch: m has taken the gradient in
        update_v(1.0 - self.beta2, self.beta2)
        np.sqrt(v, out=g)  # the one sqrt pass; eps joins after it, as PyTorch adds it
        np.add(g, self._eps, out=g)
        np.divide(m, g, out=g)
        if not self._moves:
            self._bind_moves()
        decay = 1.0 - self._lr * self.weight_decay
        for move, decays in self._moves:
            move(-self._step_size, decay if decays else 1.0)

    def _bind_moves(self) -> None:
        """The BLAS calls W <- beta W - s * step for the params handed over (the fused step hands over
        the same layer arrays every time, so this runs once): one over all parameters if they lie
        back to back in one buffer and nothing decays, else one per parameter (AdamW: weights and
        bias row apart, since only the weights decay)."""
        params = self._params
        step = self._flat[0]
        whole = _back_to_back(params)
        if whole is not None and not self.weight_decay:
            self._moves = [(bound_axpby(step, whole), False)]
        else:
            self._moves = []
            for param, (part, _, _) in zip(params, self._views):
                if self.fused_bias_row:
                    self._moves += [(bound_axpby(part[:-1], param[:-1]), True), (bound_axpby(part[-1], param[-1]), False)]
                else:
                    self._moves.append((bound_axpby(part, param), param.ndim == 2))
        self._bound = list(params)

    def state(self) -> list[np.ndarray]:
        if self._flat is None:
            return list(self._restored or [])
        return [a for _, m, v in self._views for a in (m, v)]

    def scalars(self) -> dict[str, float]:
        return {"t": self.t}

    def restore(self, scalars: dict[str, float], arrays: list[np.ndarray]) -> None:
        self.t = int(scalars.get("t", 0))
        self._restored = [np.array(a) for a in arrays]
        self._copy_restored()


def _back_to_back(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The flat array `arrays` are consecutive parts of (all of it, in order), or None."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous or base.dtype != arrays[0].dtype:
        return None
    address = base.ctypes.data
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or a.ctypes.data != address:
            return None
        address += a.nbytes
    return base if address == base.ctypes.data + base.nbytes else None


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
