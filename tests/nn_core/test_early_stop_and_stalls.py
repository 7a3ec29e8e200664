"""Early stopping on the validation loss, and runs that stop learning."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import MLP
from nn_core.stalls import stalled
from nn_core.train import Trainer


def _memorise_noise(patience, epochs=40):
    """Random images with random labels: the net memorises the training set and the validation loss,
    on other random images, rises after its first epochs."""
    rng = np.random.default_rng(3)
    train = (rng.random((300, 784), dtype=np.float32), rng.integers(0, 10, 300))
    val = (rng.random((200, 784), dtype=np.float32), rng.integers(0, 10, 200))
    model = MLP(ModelConfig(hidden_sizes=(64,)), 0)
    config = TrainConfig(optimizer="adam", epochs=epochs, early_stop=patience, schedule="constant")
    trainer = Trainer(model, config, train, val)
    return trainer, list(trainer.run())


@pytest.mark.parametrize("patience", [1, 4])
def test_stops_once_validation_loss_has_not_improved_for_patience_epochs(patience):
    trainer, records = _memorise_noise(patience)
    losses = [r.val_loss for r in records]
    best = int(np.argmin(losses)) + 1
    assert trainer.status == "completed"
    assert len(records) == best + patience < 40
    # No earlier epoch was `patience` epochs past a best.
    for end in range(1, len(records)):
        assert end - (int(np.argmin(losses[:end])) + 1) < patience
    assert f"not improved for {patience} epoch{'s' if patience > 1 else ''} (lowest" in trainer.message
    assert f"epoch {best});" in trainer.message and f"after epoch {len(records)} of 40" in trainer.message
    # The weights kept as best: the highest validation accuracy's epoch (the earliest on ties), named too.
    kept = int(np.argmax([r.val_acc for r in records])) + 1
    assert trainer.best_epoch == kept and f"highest validation accuracy, epoch {kept}." in trainer.message


def test_without_early_stop_the_same_run_goes_on():
    trainer, records = _memorise_noise(0, epochs=12)
    assert trainer.status == "completed" and trainer.message == "" and len(records) == 12


def test_early_stop_needs_a_validation_set():
    x, y = np.zeros((20, 784), np.float32), np.arange(20) % 10
    with pytest.raises(ValueError, match="early_stop"):
        Trainer(MLP(ModelConfig(), 0), TrainConfig(early_stop=3), (x, y))


def test_stalled_means_one_class_for_everything_while_labels_differ():
    assert stalled(np.full(50, 3), np.arange(50) % 10, 10) == 3
    assert stalled(np.full(50, 3), np.full(50, 3), 10) is None
    assert stalled(np.r_[np.full(49, 3), 4], np.arange(50) % 10, 10) is None


def test_a_network_with_every_relu_dead_is_stopped_with_advice(mnist):
    train = (mnist["x_train"][:2000], mnist["y_train"][:2000])
    model = MLP(ModelConfig(hidden_sizes=(64,)), 0)
    model.layers[0][-1] = -1000.0  # every hidden unit's bias: no image can switch one on
    trainer = Trainer(model, TrainConfig(epochs=5, learning_rate=0.05), train)
    records = list(trainer.run())
    assert trainer.status == "diverged" and len(records) == 1
    assert "stopped learning in epoch 1" in trainer.message
    assert "64 of 64 units in hidden layer 1" in trainer.message
    assert "lower learning rate than 0.05" in trainer.message


def test_a_huge_constant_rate_kills_the_network_and_is_not_completed(mnist):
    """The issue's case: --lr 3 --schedule constant left every ReLU dead and the run `completed`."""
    train = (mnist["x_train"][:10000], mnist["y_train"][:10000])
    model = MLP(ModelConfig(hidden_sizes=(64,)), 0)
    trainer = Trainer(model, TrainConfig(epochs=3, learning_rate=3.0, schedule="constant"), train)
    list(trainer.run())
    assert trainer.status == "diverged"
    assert "stopped learning" in trainer.message or "diverged" in trainer.message
