"""Noticing a run that has stopped learning, and saying why.

A learning rate far too high can leave a network finite but dead: every ReLU unit of a layer
outputs zero for every image, the output is a constant, and the network predicts one class for
everything (`--lr 3 --schedule constant`: 10.3% test accuracy). Its loss stays near chance, so the
divergence check never fires and the run would end `completed`. The Trainer asks `stall_message`
after each epoch; a run is stuck when
- every training prediction of the epoch was one class (while the labels hold several), or
- a ReLU hidden layer is all dead: each of its units is 0 on every one of SAMPLE_ROWS training
  images (no gradient can reach it again, so the layer never recovers).
The checks cost one bincount and one forward pass over SAMPLE_ROWS images per epoch (about 1 ms
at the default network, against an epoch of about 300 ms).
"""

from __future__ import annotations

import numpy as np

from nn_core.model import MLP

SAMPLE_ROWS = 1000
"""Training rows on which dead units are counted."""


def dead_units(model: MLP, x: np.ndarray) -> list[tuple[int, int]]:
    """(dead, width) per hidden layer: units whose activation is 0 for every row of `x`."""
    out = []
    a = np.asarray(x[:SAMPLE_ROWS], dtype=model.dtype)
    for layer in model.layers[:-1]:
        a = a @ layer[:-1] + layer[-1]
        model.activation.forward(a)
        out.append((int(np.count_nonzero(~a.any(axis=0))), a.shape[1]))
    return out


def stalled(predictions: np.ndarray, labels: np.ndarray, num_classes: int) -> int | None:
    """The one class every prediction of the epoch was, if so and the labels are not all that class."""
    counts = np.bincount(predictions, minlength=num_classes)
    top = int(counts.argmax())
    if counts[top] == len(predictions) and np.count_nonzero(labels != top):
        return top
    return None


def stall_message(epoch: int, predictions: np.ndarray, labels: np.ndarray, model: MLP, x: np.ndarray,
                  lr: float) -> str | None:
    """What happened and what to try, or None while the network still learns."""
    dead = dead_units(model, x) if model.activation.name == "relu" else []
    all_dead = [i for i, (d, w) in enumerate(dead) if d == w]
    cls = stalled(predictions, labels, model.config.num_classes)
    if cls is None and not all_dead:
        return None
    what = (f"the network predicted class {cls} for all {len(predictions):,} training images" if cls is not None
            else "its output no longer depends on the image")
    if any(d for d, _ in dead):
        listed = ", ".join(f"{d} of {w} units in hidden layer {i + 1}" for i, (d, w) in enumerate(dead) if d)
        what += f"; dead ReLU units (zero for every image): {listed}"
    return f"Training stopped learning in epoch {epoch}: {what}. Try a lower learning rate than {lr:g}."
