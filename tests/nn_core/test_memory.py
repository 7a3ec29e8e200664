"""The memory estimate against the bytes a real small model and its training actually hold."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.memory import estimate_training_bytes, memory_limit, physical_memory
from nn_core.model import MLP
from nn_core.train import Trainer

ROWS = {"train": 1000, "val": 300, "test": 500}


def _train(model_config: ModelConfig, train_config: TrainConfig) -> tuple[MLP, Trainer]:
    rng = np.random.default_rng(0)
    splits = {k: (rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)) for k, n in ROWS.items()}
    model = MLP(model_config, 0)
    trainer = Trainer(model, train_config, splits["train"], splits["val"], splits["test"])
    for _ in trainer.run():
        pass
    return model, trainer


@pytest.mark.parametrize("optimizer", ["momentum", "sgd", "nesterov"])
def test_model_parts_are_the_exact_bytes_of_the_arrays(optimizer):
    model_config, train_config = ModelConfig(hidden_sizes=(30, 20)), TrainConfig(optimizer=optimizer, batch_size=64, epochs=1)
    model, trainer = _train(model_config, train_config)
    estimate = estimate_training_bytes(model_config, train_config, ROWS["train"], ROWS["val"] + ROWS["test"])
    assert estimate.parameters == sum(layer.nbytes for layer in model.layers)
    assert estimate.gradients == sum(grad.nbytes for grad in model.grads)
    assert estimate.optimizer == sum(state.nbytes for state in trainer.optimizer.state())
    step_buffers = sum(
        a.nbytes for b in model._buffers.values() for a in [*b.hidden, *b.delta, *b.scratch, b.logits, b.row_max, b.row_sum]
    )
    assert step_buffers < estimate.batch  # plus the batch inputs, which live only inside run()


def test_the_whole_estimate_covers_the_traced_peak_of_a_real_training():
    model_config, train_config = ModelConfig(hidden_sizes=(300, 100)), TrainConfig(batch_size=64, epochs=1)
    tracemalloc.start()
    try:
        _train(model_config, train_config)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = estimate_training_bytes(model_config, train_config, ROWS["train"], ROWS["val"] + ROWS["test"])
    assert 0.7 * estimate.total <= peak <= estimate.total


def test_absurd_widths_give_absurd_numbers_without_allocating():
    estimate = estimate_training_bytes(ModelConfig(hidden_sizes=(1_000_000, 1_000_000)), TrainConfig(), 55000, 15000)
    assert estimate.parameters == 4 * (785 * 10**6 + 1_000_001 * 10**6 + 1_000_001 * 10)
    assert estimate.total > 10**13


def test_the_limit_is_half_of_physical_memory():
    assert physical_memory() > 0
    assert memory_limit() == physical_memory() // 2
