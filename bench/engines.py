"""The trainers the bench compares, behind one interface: `train_epoch(x, y) -> mean loss`.

Every engine trains the same ReLU MLP with softmax cross-entropy and momentum SGD, shuffles
once per epoch and takes `len(x) // batch_size` full batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from plain_numpy import PlainNumpy

from nn_core import threads


@dataclass(frozen=True)
class Workload:
    sizes: tuple[int, ...] = (784, 64, 64, 10)
    batch_size: int = 32
    lr: float = 0.01
    momentum: float = 0.9
    seed: int = 0
    optimizer: str = "momentum"
    """nn_core only, like the options below (bench_engine's options table); other engines use momentum."""
    dropout: tuple[float, ...] = ()
    augment_shift: int = 0
    augment_rotate: float = 0.0


class NnCore:
    """nn_core's Trainer at its own thread and float settings (one `Trainer.run` epoch per call)."""

    name = "nn_core"

    def __init__(self, work: Workload):
        from nn_core.config import ModelConfig, TrainConfig
        from nn_core.model import MLP

        self.model = MLP(ModelConfig(hidden_sizes=work.sizes[1:-1], activation="relu", init="xavier",
                                     input_size=work.sizes[0], num_classes=work.sizes[-1]), work.seed)
        self.config = TrainConfig(optimizer=work.optimizer, momentum=work.momentum, learning_rate=work.lr,
                                  batch_size=work.batch_size, epochs=1, schedule="constant", seed=work.seed,
                                  dropout=work.dropout, augment_shift=work.augment_shift,
                                  augment_rotate=work.augment_rotate)
        self._prepared = None

    def prepare(self, x: np.ndarray, y: np.ndarray) -> None:
        """Make the Trainer for `train_epoch(x, y)` ahead of it: its set-up (e.g. augmentation's
        tables, about 1-3 ms) is paid once per run, not per epoch, so bench_engine does not time it
        (with --batches it would be scaled up with the epoch, 4.3x at 400 batches)."""
        from nn_core.train import Trainer

        self._prepared = (x, y, Trainer(self.model, self.config, train=(x, y)))

    def train_epoch(self, x: np.ndarray, y: np.ndarray) -> float:
        prepared, self._prepared = self._prepared, None
        if prepared is None or prepared[0] is not x or prepared[1] is not y:
            self.prepare(x, y)
            prepared, self._prepared = self._prepared, None
        (record,) = prepared[2].run()
        return record.train_loss


class Torch:
    """PyTorch on the CPU, used the fastest plain way: batches indexed from pre-made tensors."""

    name = "torch"

    def __init__(self, work: Workload):
        import torch

        torch.manual_seed(work.seed)
        layers = []
        for fan_in, fan_out in zip(work.sizes[:-1], work.sizes[1:]):
            layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=work.lr, momentum=work.momentum)
        self.batch_size = work.batch_size
        self.generator = torch.Generator().manual_seed(work.seed)

    def train_epoch(self, x: np.ndarray, y: np.ndarray) -> float:
        import torch
        import torch.nn.functional as F

        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        batches = len(x) // self.batch_size
        order = torch.randperm(len(x), generator=self.generator)[: batches * self.batch_size]
        total = torch.zeros(())
        # Index each batch from the whole tensors: measured faster than one shuffled copy of the
        # set (115 ms of fresh memory per epoch) from batch 32 up, and as fast at batch 4.
        for rows in order.split(self.batch_size):
            xb, yb = xt[rows], yt[rows]
            self.optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
            total += loss.detach()
        return float(total) / batches


class Plain:
    """The plain NumPy loop of `plain_numpy.py`, at nn_core's BLAS thread count."""

    name = "plain numpy"

    def __init__(self, work: Workload):
        self.trainer = PlainNumpy(work.sizes, work.batch_size, work.lr, work.momentum, work.seed)

    def train_epoch(self, x: np.ndarray, y: np.ndarray) -> float:
        with threads.blas_threads():
            return self.trainer.train_epoch(x, y)


ENGINES = {"nn_core": NnCore, "torch": Torch, "numpy": Plain}


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def set_torch_threads(count: int) -> None:
    import torch

    torch.set_num_threads(count)


def set_nn_core_threads(count: int | None) -> None:
    """nn_core (and the plain loop here) read their BLAS thread count from the environment."""
    if count is None:
        os.environ.pop(threads.ENV_VAR, None)
    else:
        os.environ[threads.ENV_VAR] = str(count)
