"""Per-layer health statistics, recorded once per epoch: what each layer learned and whether it still learns.

For every layer (hidden layers, then the output layer) an epoch records:
  weight_norm   ||W||_F of its weights (bias row excluded);
  grad_norm     mean over sampled batches of ||dL/dA||_F (weights and bias), the gradient of the
                batch's mean data loss at the weights that batch was stepped from (no dropout);
  update_ratio  mean over the same batches of ||A_after - A_before||_F / ||A_before||_F, the
                step size relative to the weights (healthy SGD sits near 1e-3);
  act_mean, act_sd  of the layer's outputs on a fixed probe of validation images;
  dead          share of ReLU units never active (output 0) on every probe image, else None;
  saturated     share of sigmoid/tanh units in their flat tails (derivative < 0.03 of its
                peak) on at least 99% of probe images, else None;
  hist          {"lo", "hi", "now", "init"}: counts of the current and the initial weights in
                HIST_BINS equal bins over [lo, hi] (symmetric, covering both).

Cost: gradients are sampled on GRAD_SAMPLES batches per epoch (one forward and backward pass
each, the training step's own code) and the probe is one forward pass over PROBE_SIZE images,
so an epoch of 1,500 batches pays for about 16 + 30 batch-equivalents (bench/bench_layer_stats.py).
"""

from __future__ import annotations

import numpy as np

from nn_core.model import MLP, _KeepGradients
from nn_core.losses import softmax_cross_entropy_delta

PROBE_SIZE = 1000
GRAD_SAMPLES = 16
HIST_BINS = 24
SATURATED_SHARE = 0.99
FIELDS = ("weight_norm", "grad_norm", "update_ratio", "act_mean", "act_sd", "dead", "saturated")


def probe_images(val: tuple[np.ndarray, np.ndarray] | None, train: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The fixed probe: the first PROBE_SIZE validation images (training images when there is no validation split)."""
    x = (val or train)[0]
    return x[:PROBE_SIZE]


def histogram(now: np.ndarray, init: np.ndarray) -> dict:
    """Counts of `now` and `init` over one symmetric range covering both."""
    top = float(max(np.abs(now).max(initial=0.0), np.abs(init).max(initial=0.0))) or 1.0
    edges = np.linspace(-top, top, HIST_BINS + 1)
    return {"lo": -top, "hi": top,
            "now": np.histogram(now, edges)[0].tolist(), "init": np.histogram(init, edges)[0].tolist()}


def _tails(name: str, a: np.ndarray) -> np.ndarray:
    """Where a sigmoid/tanh output sits in its flat tail (derivative below 3% of the peak)."""
    if name == "sigmoid":  # a(1-a) < 0.03 * 0.25
        return a * (1 - a) < 0.0075
    return 1 - a * a < 0.03  # tanh


def activation_stats(model: MLP, probe: np.ndarray) -> list[dict]:
    """act_mean, act_sd, dead and saturated of every layer on the probe (the output layer: its logits)."""
    out = []
    a = np.asarray(probe, dtype=model.dtype)
    name = model.activation.name
    for i, layer in enumerate(model.layers):
        a = a @ layer[:-1]
        a += layer[-1]
        hidden = i < len(model.layers) - 1
        if hidden:
            model.activation.forward(a)
        stats = {"act_mean": float(a.mean()), "act_sd": float(a.std()), "dead": None, "saturated": None}
        if hidden and name == "relu":
            stats["dead"] = float(np.mean(~(a > 0).any(axis=0)))
        elif hidden:
            stats["saturated"] = float(np.mean(_tails(name, a).mean(axis=0) >= SATURATED_SHARE))
        out.append(stats)
    return out


def gradient_norms(model: MLP, xb: np.ndarray, onehot: np.ndarray) -> list[float]:
    """||dL/dA_i||_F of every layer for one batch ([x, 1] rows), by the training step's own backward pass."""
    n = xb.shape[0]
    buffers = model._buffers.get(n) or model._make_buffers(n)
    z = model._forward(xb, buffers)
    softmax_cross_entropy_delta(z, onehot, 1.0 / n, buffers.row_max, buffers.row_sum)
    model._backward(buffers, _KeepGradients, (), 1.0)
    return [float(np.linalg.norm(g)) for g in model.grads]


def _finite(value):
    """A float that JSON and the store accept: infinities and NaN (a layer blowing up) become None."""
    if value is None or isinstance(value, (dict, int)):
        return value
    value = float(value)
    return value if np.isfinite(value) else None


def dead_note(model: MLP, probe: np.ndarray) -> str:
    """`` Then 64 of 64 units of hidden layer 1 were dead ...`` for a run stopped mid-epoch, or ''."""
    with np.errstate(over="ignore", invalid="ignore"):
        stats = activation_stats(model, probe)
    notes = []
    for i, (row, width) in enumerate(zip(stats[:-1], model.config.hidden_sizes), 1):
        share = row["dead"] if row["dead"] is not None else row["saturated"]
        if share:
            what = "dead (never active)" if row["dead"] is not None else "saturated"
            notes.append(f"{round(share * width)} of {width} units of hidden layer {i} were {what}")
    return f" By then {'; '.join(notes)} on the probe images." if notes else ""


class LayerStats:
    """Collects one epoch's statistics; the Trainer calls `before_step`/`after_step` around each batch and `epoch` after it.

    Only batches b with b % every == 0 are sampled (`start_epoch` sets `every` from the epoch's
    batch count), so the per-batch cost elsewhere is one integer test.
    """

    def __init__(self, model: MLP, probe: np.ndarray) -> None:
        self.model = model
        self.probe = np.ascontiguousarray(probe, dtype=model.dtype)
        self.initial = [layer[:-1].copy() for layer in model.layers]
        self.every = 1
        self._before: list[np.ndarray] | None = None
        self._grads: list[list[float]] = []
        self._ratios: list[list[float]] = []

    def start_epoch(self, batches: int) -> None:
        self.every = max(1, batches // GRAD_SAMPLES)
        self._grads, self._ratios = [], []

    def before_step(self, xb: np.ndarray, onehot: np.ndarray) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            self._grads.append(gradient_norms(self.model, xb, onehot))
        self._before = [layer.copy() for layer in self.model.layers]

    def after_step(self) -> None:
        if self._before is None:
            return
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._ratios.append([float(np.linalg.norm(layer - old) / (np.linalg.norm(old) or 1.0))
                                 for layer, old in zip(self.model.layers, self._before)])
        self._before = None

    def epoch(self) -> list[dict]:
        """One dict per layer (see the module docstring); plain floats and lists, ready for JSON."""
        grads = np.mean(self._grads, axis=0) if self._grads else [None] * len(self.model.layers)
        ratios = np.mean(self._ratios, axis=0) if self._ratios else [None] * len(self.model.layers)
        out = []
        with np.errstate(over="ignore", invalid="ignore"):
            acts = activation_stats(self.model, self.probe)
            for i, layer in enumerate(self.model.layers):
                weights = layer[:-1]
                row = {"layer": i + 1, "weight_norm": float(np.linalg.norm(weights)),
                       "grad_norm": grads[i], "update_ratio": ratios[i],
                       **acts[i], "hist": histogram(weights, self.initial[i])}
                out.append({k: _finite(v) for k, v in row.items()})
        return out
