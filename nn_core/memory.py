"""How much memory training a network will take, known before a byte of it is allocated.

`--hidden-sizes 100000,100000` asks for 40 GB of weights alone; allocating first and failing
later swaps the machine for minutes, or dies with MemoryError after a run was recorded. The
estimate adds what MLP and Trainer hold for the whole run (float32):

    parameters (W and b)      sum (fan_in + 1) * fan_out
    gradients                 as many as the parameters
    optimizer state           as many again for momentum and nesterov, three times (g, m, v)
                              for adam and adamw, none for sgd
    checkpoint copies         two sets of parameters: the last finished epoch's (a cancelled
                              epoch goes back to them) and the best-validation epoch's
    step buffers, per batch   rows * (sum (3 w + 1) over hidden widths + classes + 2)
    batch inputs, per batch   rows * (2 * inputs + 1 + classes)
    evaluation chunk          min(INFERENCE_CHUNK, rows) * 2 * widest layer output, plus all logits

with `rows` = min(batch size, training rows), counted twice (the last, shorter batch gets its own
buffers), and the training, validation and test rows as float32 inputs plus one-hot targets.
`MEMORY_SHARE` of the machine's physical memory is the limit: the rest stays for the system, the
dashboard and the other runs a user may start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import INFERENCE_CHUNK

FLOAT_BYTES = 4
OPTIMIZER_COPIES = {"sgd": 0, "momentum": 1, "nesterov": 1, "adam": 3, "adamw": 3}
"""Parameter-sized arrays each optimizer keeps (nn_core.optimizers)."""
MEMORY_SHARE = 0.5
"""Share of physical memory one training may plan to use."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes by part; `model` is parameters + gradients + optimizer state, the part widths drive."""

    parameters: int
    gradients: int
    optimizer: int
    checkpoint: int
    batch: int
    evaluation: int
    data: int

    @property
    def model(self) -> int:
        return self.parameters + self.gradients + self.optimizer + self.checkpoint

    @property
    def total(self) -> int:
        return self.model + self.batch + self.evaluation + self.data


def parameter_count(model: ModelConfig) -> int:
    sizes = model.layer_sizes
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def estimate_training_bytes(model: ModelConfig, train: TrainConfig, train_rows: int, eval_rows: int) -> MemoryEstimate:
    """The bytes training `model` with `train` on `train_rows` rows (and `eval_rows` held out) will hold.

    Pure arithmetic on Python ints, so absurd configs give absurd numbers, never an overflow.
    """
    params = parameter_count(model) * FLOAT_BYTES
    optimizer = params * OPTIMIZER_COPIES[train.optimizer]
    rows = min(train.batch_size, max(train_rows, 1))
    classes, inputs = model.num_classes, model.input_size
    per_row = sum(3 * w + 1 for w in model.hidden_sizes) + classes + 2 + 2 * inputs + 1 + classes
    batch = 2 * rows * per_row * FLOAT_BYTES
    chunk = min(INFERENCE_CHUNK, max(train_rows, eval_rows, 1))
    widest = max(model.layer_sizes[1:])
    evaluation = (chunk * 2 * widest + max(train_rows, eval_rows) * classes) * FLOAT_BYTES
    data = (train_rows + eval_rows) * inputs * FLOAT_BYTES + train_rows * classes * FLOAT_BYTES
    return MemoryEstimate(params, params, optimizer, 2 * params, batch, evaluation, data)


def physical_memory() -> int:
    """Bytes of RAM of this machine (0 if the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def memory_limit() -> int | None:
    """`MEMORY_SHARE` of physical memory, or None when it is unknown (then nothing is refused)."""
    total = physical_memory()
    return int(total * MEMORY_SHARE) if total > 0 else None


def gigabytes(n: int) -> str:
    """Bytes for people: MB below 0.1 GB, TB from 1,000 GB."""
    if n >= 1e12:
        return f"{n / 1e12:.1f} TB"
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"
