"""Flush-to-zero: decaying momentum must never leave subnormal float32 values behind."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import fpenv

TINY = np.finfo(np.float32).tiny


def subnormal_count(arrays) -> int:
    return sum(int(np.count_nonzero((a != 0) & (np.abs(a) < TINY))) for a in arrays)


def momentum_decay(steps: int) -> np.ndarray:
    """A velocity that got one gradient and then only zeros, as for an always-black border pixel."""
    velocity = np.full(1000, 1e-3, dtype=np.float32)
    velocity[::2] *= -1
    for _ in range(steps):
        velocity *= np.float32(0.9)
    return velocity


def test_flush_is_supported_here():
    # CI and developers run Linux on x86_64; if this fails the engine silently lost its fix.
    assert fpenv.flushing_supported()


def test_unflushed_momentum_decay_reaches_subnormals():
    """The trap itself: 780 steps of beta = 0.9 take 1e-3 below float32's smallest normal number."""
    assert not fpenv.subnormals_flushed()
    assert subnormal_count([momentum_decay(800)]) == 1000


def test_flushed_momentum_decay_goes_straight_to_zero():
    with fpenv.flush_subnormals() as flushed:
        assert flushed and fpenv.subnormals_flushed()
        velocity = momentum_decay(800)
        # Subnormal inputs count as zero too (DAZ): arithmetic on a stray one yields 0.
        assert np.float32(TINY / 4) * np.float32(1) == 0
    assert subnormal_count([velocity]) == 0
    assert not np.any(velocity)


def test_previous_mode_is_restored_after_errors_and_nesting():
    with pytest.raises(KeyError):
        with fpenv.flush_subnormals():
            with fpenv.flush_subnormals():
                pass
            assert fpenv.subnormals_flushed()  # the inner block restored "on", not "off"
            raise KeyError("boom")
    assert not fpenv.subnormals_flushed()
    assert np.float32(TINY) * np.float32(0.5) > 0


def _momentum_run(mnist, epochs=3, n=2000):
    from nn_core.config import ModelConfig, TrainConfig
    from nn_core.model import MLP
    from nn_core.train import Trainer

    model = MLP(ModelConfig(hidden_sizes=(64, 64)), 0)
    config = TrainConfig(optimizer="momentum", batch_size=4, epochs=epochs, learning_rate=0.01, schedule="constant")
    trainer = Trainer(model, config, train=(mnist["x_train"][:n], mnist["y_train"][:n]))
    records = list(trainer.run())
    return trainer, records


def test_multi_epoch_momentum_run_leaves_no_subnormals(mnist):
    trainer, records = _momentum_run(mnist)
    assert trainer.status == "completed" and len(records) == 3
    assert records[-1].train_acc > 0.8  # it really trained
    state = trainer.model.params + trainer.optimizer.state()
    assert len(trainer.optimizer.state()) == len(trainer.model.layers)
    for array in state:
        nonzero = np.abs(array)[array != 0]
        assert nonzero.size == 0 or nonzero.min() >= TINY
    assert not fpenv.subnormals_flushed()  # the caller's mode is back


def test_the_same_run_without_flushing_is_full_of_subnormals(mnist, monkeypatch):
    """Control: proves the run above would catch the trap if the engine stopped flushing."""
    import contextlib

    import nn_core.train

    monkeypatch.setattr(nn_core.train, "flush_subnormals", contextlib.nullcontext)
    trainer, _ = _momentum_run(mnist)
    assert subnormal_count(trainer.model.params + trainer.optimizer.state()) > 100
