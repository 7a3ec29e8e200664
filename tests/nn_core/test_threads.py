"""The engine's deliberate BLAS thread count: applied inside the block, restored after, bad values refused."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import threads


def test_limit_applies_inside_and_restores_previous():
    with threads.blas_threads(2):
        assert threads.current_blas_threads() == 2
        with threads.blas_threads(1) as applied:
            assert applied == 1
            assert threads.current_blas_threads() == 1
        assert threads.current_blas_threads() == 2


def test_default_is_one_thread(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    with threads.blas_threads(2), threads.blas_threads() as applied:
        assert applied == 1
        assert threads.current_blas_threads() == 1


def test_environment_overrides_default(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "2")
    with threads.blas_threads() as applied:
        assert applied == 2
        assert threads.current_blas_threads() == 2


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5"])
def test_bad_environment_value_is_named(monkeypatch, raw):
    monkeypatch.setenv(threads.ENV_VAR, raw)
    with pytest.raises(threads.ThreadsError) as err:
        threads.engine_blas_threads()
    assert threads.ENV_VAR in str(err.value) and repr(raw) in str(err.value)


@pytest.mark.parametrize("bad", [0, -3, 1.0, "1", True])
def test_bad_argument_is_refused(bad):
    with pytest.raises(threads.ThreadsError, match="expected a whole number >= 1"):
        with threads.blas_threads(bad):
            pass


def test_trainer_trains_with_the_engine_settings_and_restores_the_callers(mnist, monkeypatch):
    """Every batch runs at the chosen thread count with subnormals flushed; the caller's settings return."""
    from nn_core import fpenv
    from nn_core.config import ModelConfig, TrainConfig
    from nn_core.model import MLP
    from nn_core.train import Trainer

    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    seen = set()

    def on_batch(epoch, batch, batches):
        seen.add((threads.current_blas_threads(), fpenv.subnormals_flushed()))

    train = (mnist["x_train"][:256], mnist["y_train"][:256])
    with threads.blas_threads(2):
        trainer = Trainer(MLP(ModelConfig(hidden_sizes=(8,)), 0), TrainConfig(epochs=2, batch_size=64), train,
                          on_batch=on_batch)
        for _ in trainer.run():
            # between epochs the consumer runs in its own settings
            seen.add(("consumer", threads.current_blas_threads(), fpenv.subnormals_flushed()))
        assert threads.current_blas_threads() == 2
    assert seen == {(1, True), ("consumer", 2, False)}


def test_trainer_refuses_a_bad_thread_setting_before_training(monkeypatch):
    from nn_core.config import ModelConfig, TrainConfig
    from nn_core.model import MLP
    from nn_core.train import Trainer

    monkeypatch.setenv(threads.ENV_VAR, "many")
    x = np.zeros((4, 784), np.float32)
    with pytest.raises(threads.ThreadsError, match="MNIST_TUI_BLAS_THREADS: got 'many'"):
        Trainer(MLP(ModelConfig(hidden_sizes=()), 0), TrainConfig(), (x, np.zeros(4, int)))
