"""Noticing a run that has stopped learning, and saying why.

A learning rate far too high can leave a network finite but dead: every ReLU unit of a layer
outputs zero for every image, the output is a constant, and the network predicts one class for
everything (`--lr 3 --schedule constant`: 10.3% test accuracy). Its loss stays near chance, so the
divergence check never fires and the run would end `completed`. The Trainer asks `stalled` after
each epoch: if every training prediction of the epoch was one class (while the labels hold several),
the run is stopped with this module's explanation. The test costs one bincount per epoch.
"""

from __future__ import annotations

import numpy as np

from nn_core.model import MLP

SAMPLE_ROWS = 1000
"""Training rows on which dead units are counted for the message."""


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


def stall_message(epoch: int, cls: int, n: int, model: MLP, x: np.ndarray, lr: float) -> str:
    """What happened and what to try, e.g. for a ReLU network whose units all died."""
    dead = [f"{d} of {w} units in hidden layer {i + 1}" for i, (d, w) in enumerate(dead_units(model, x)) if d]
    why = ""
    if dead and model.activation.name == "relu":
        why = f"; dead (zero for every image): {', '.join(dead)}"
    return (f"Training stopped learning in epoch {epoch}: the network predicted class {cls} for all {n:,} "
            f"training images{why}. Try a lower learning rate than {lr:g}.")
