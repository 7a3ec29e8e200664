"""What a Trainer needs to continue after its last finished epoch, bit for bit.

After every epoch the Trainer can hand out a TrainState: the epoch, the optimizer's state
(momentum velocities or Adam's moments and step count), the bit-generator states of its three
random streams (shuffle, dropout, augmentation), the weights of the best-validation epoch and the
early-stopping counters. A Trainer given that state (and the model's weights of that epoch) trains
the remaining epochs exactly as an uninterrupted run would (same BLAS thread count assumed, since
a different one may sum products in another order). nn_core.model_io stores it in the model file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RNG_STREAMS = ("shuffle", "dropout", "augment")


@dataclass
class TrainState:
    """`epoch` is the last finished epoch; `best_*` describe the best-validation epoch (highest
    validation accuracy, the earliest on ties), None without a validation set; `stop_*` are early
    stopping's (lowest validation loss and its epoch)."""

    epoch: int
    rngs: dict[str, dict[str, Any]]
    optimizer: dict[str, float]
    optimizer_arrays: list[np.ndarray]
    best_epoch: int | None = None
    best_val_acc: float | None = None
    best_layers: list[np.ndarray] | None = None
    stop_best_loss: float | None = None
    stop_best_epoch: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def scalars(self) -> dict[str, Any]:
        """Everything but the arrays, as plain JSON values."""
        return {
            "epoch": self.epoch, "rngs": self.rngs, "optimizer": self.optimizer,
            "best_epoch": self.best_epoch, "best_val_acc": self.best_val_acc,
            "stop_best_loss": self.stop_best_loss, "stop_best_epoch": self.stop_best_epoch,
        }

    @classmethod
    def from_scalars(cls, values: Any, optimizer_arrays: list[np.ndarray],
                     best_layers: list[np.ndarray] | None) -> "TrainState":
        """The state `scalars()` gave; anything malformed raises ValueError naming the field."""
        if not isinstance(values, dict):
            raise ValueError("checkpoint: expected a JSON object")
        epoch = values.get("epoch")
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
            raise ValueError(f"checkpoint epoch: got {epoch!r}, expected a whole number >= 1")
        rngs = values.get("rngs")
        if not isinstance(rngs, dict) or not set(rngs) <= set(RNG_STREAMS) or not all(isinstance(v, dict) for v in rngs.values()):
            raise ValueError(f"checkpoint rngs: expected generator states for {', '.join(RNG_STREAMS)}")
        optimizer = values.get("optimizer")
        if not isinstance(optimizer, dict) or not all(_finite(v) for v in optimizer.values()):
            raise ValueError("checkpoint optimizer: expected an object of finite numbers")
        best_epoch = values.get("best_epoch")
        if best_epoch is not None and (not isinstance(best_epoch, int) or not 1 <= best_epoch <= epoch):
            raise ValueError(f"checkpoint best_epoch: got {best_epoch!r}, expected an epoch in 1..{epoch}")
        best_val_acc, stop_loss = values.get("best_val_acc"), values.get("stop_best_loss")
        stop_epoch = values.get("stop_best_epoch", 0)
        for name, value in (("best_val_acc", best_val_acc), ("stop_best_loss", stop_loss)):
            if value is not None and not _finite(value):
                raise ValueError(f"checkpoint {name}: got {value!r}, expected a finite number")
        if not isinstance(stop_epoch, int) or not 0 <= stop_epoch <= epoch:
            raise ValueError(f"checkpoint stop_best_epoch: got {stop_epoch!r}, expected 0..{epoch}")
        return cls(epoch, rngs, optimizer, optimizer_arrays, best_epoch, best_val_acc,
                   best_layers, stop_loss, stop_epoch)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def restore_rng(rng: np.random.Generator, state: dict[str, Any] | None, name: str) -> None:
    """Put `rng` back where a checkpoint left it; a foreign or malformed state raises ValueError."""
    if state is None:
        raise ValueError(f"checkpoint rngs: no state for the {name} generator")
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"checkpoint rngs {name}: not a {type(rng.bit_generator).__name__} state ({error})") from None
