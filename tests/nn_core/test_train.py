"""The training loop on real MNIST: learning, determinism, divergence, cancellation, records."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import MLP
from nn_core.train import EpochRecord, Trainer


def _data(mnist, n_train, n_test=2000):
    return (mnist["x_train"][:n_train], mnist["y_train"][:n_train]), (mnist["x_test"][:n_test], mnist["y_test"][:n_test])


@pytest.mark.parametrize("hidden,activation", [((64,), "relu"), ((32, 32), "tanh")])
def test_learns_real_mnist_far_above_chance(mnist, hidden, activation):
    train, test = _data(mnist, 5000)
    val = (mnist["x_train"][-1000:], mnist["y_train"][-1000:])
    model = MLP(ModelConfig(hidden_sizes=hidden, activation=activation), 0)
    trainer = Trainer(model, TrainConfig(epochs=2), train, val, test)
    records = list(trainer.run())
    assert trainer.status == "completed" and trainer.message == ""
    assert [r.epoch for r in records] == [1, 2]
    assert records[1].train_loss < records[0].train_loss
    assert records[1].test_acc > 0.85 and records[1].val_acc > 0.85
    lr = TrainConfig().learning_rate  # cosine over 2 epochs: full, then half
    assert records[0].lr == lr and records[1].lr == pytest.approx(lr / 2)
    assert all(r.seconds > 0 for r in records)
    # test_acc is the real accuracy of the model now in hand
    assert records[1].test_acc == pytest.approx(np.mean(model.predict(test[0]) == test[1]))


def test_sgd_with_the_originals_settings_learns(mnist):
    train, test = _data(mnist, 6000)
    model = MLP(ModelConfig(hidden_sizes=(), init="gaussian"), 0)
    config = TrainConfig(optimizer="sgd", learning_rate=0.001, batch_size=4, schedule="decay", epochs=2, l1=True)
    records = list(Trainer(model, config, train, test=test).run())
    assert records[1].lr == pytest.approx(0.001 * 0.98)
    assert records[1].test_acc > 0.75 and records[1].val_acc is None and records[1].val_loss is None


def test_same_seed_is_bit_identical_and_another_seed_is_not(mnist):
    train, _ = _data(mnist, 1500)

    def run(seed):
        model = MLP(ModelConfig(hidden_sizes=(16,)), seed)
        records = list(Trainer(model, TrainConfig(epochs=2, seed=seed), train).run())
        return model, [{k: v for k, v in r.as_dict().items() if k != "seconds"} for r in records]

    (a, ra), (b, rb), (c, rc) = run(5), run(5), run(6)
    for pa, pb, pc in zip(a.params, b.params, c.params):
        np.testing.assert_array_equal(pa, pb)
    assert ra == rb
    assert not np.array_equal(a.params[0], c.params[0]) and ra != rc


def test_shuffles_every_epoch(mnist):
    train, _ = _data(mnist, 64)
    seen = []
    model = MLP(ModelConfig(hidden_sizes=()), 0)
    original = model.train_step

    def spy(xb, *args, **kwargs):
        seen.append(xb[:, :-1].copy())
        return original(xb, *args, **kwargs)

    model.train_step = spy
    list(Trainer(model, TrainConfig(epochs=2, batch_size=64), train).run())
    first, second = seen
    assert not np.array_equal(first, second)
    key = lambda rows: sorted(map(bytes, rows))  # noqa: E731 - same images, other order
    assert key(first) == key(second) == key(train[0])


@pytest.mark.parametrize("lr", [10.0, 1e5])
def test_huge_learning_rate_ends_as_diverged_without_exception_or_warning(mnist, lr):
    train, test = _data(mnist, 2000, 500)
    model = MLP(ModelConfig(hidden_sizes=(32, 32)), 0)
    trainer = Trainer(model, TrainConfig(learning_rate=lr, epochs=3), train, test=test)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = list(trainer.run())
    assert trainer.status == "diverged"
    assert records == []
    assert "epoch 1" in trainer.message and "lower learning rate" in trainer.message
    assert f"{lr:g}" in trainer.message


def test_cancel_between_batches_keeps_a_usable_model(mnist):
    train, test = _data(mnist, 3000)
    calls = []
    model = MLP(ModelConfig(hidden_sizes=(32,)), 0)

    def on_batch(epoch, batch, batches):
        calls.append((epoch, batch, batches))
        if (epoch, batch) == (2, 5):
            trainer.cancel()

    trainer = Trainer(model, TrainConfig(epochs=3), train, test=test, on_batch=on_batch)
    records = list(trainer.run())
    assert trainer.status == "cancelled"
    assert [r.epoch for r in records] == [1]
    assert "epoch 2 after 5 of 94 batches" in trainer.message
    assert calls[-1] == (2, 5, 94) and len(calls) == 94 + 5
    assert all(np.isfinite(p).all() for p in model.params)
    assert np.mean(model.predict(test[0]) == test[1]) > 0.8


def test_cancel_from_another_thread(mnist):
    train, _ = _data(mnist, 3000)
    started = threading.Event()
    trainer = Trainer(
        MLP(ModelConfig(hidden_sizes=(16,)), 0),
        TrainConfig(epochs=50, batch_size=8),
        train,
        on_batch=lambda *_: started.set(),
    )
    worker = threading.Thread(target=lambda: list(trainer.run()))
    worker.start()
    assert started.wait(30)
    trainer.cancel()
    worker.join(30)
    assert not worker.is_alive() and trainer.status == "cancelled"


def test_partial_last_batch_and_progress_callback(mnist):
    train, _ = _data(mnist, 10)
    calls = []
    trainer = Trainer(
        MLP(ModelConfig(hidden_sizes=()), 0),
        TrainConfig(epochs=2, batch_size=4),
        train,
        on_batch=lambda *a: calls.append(a),
    )
    records = list(trainer.run())
    assert calls == [(1, 1, 3), (1, 2, 3), (1, 3, 3), (2, 1, 3), (2, 2, 3), (2, 3, 3)]
    assert set(records[0].as_dict()) == set(EpochRecord.__dataclass_fields__) - {"layers"}  # no LayerStats given
    assert 0 <= records[1].train_acc <= 1


@pytest.mark.parametrize(
    "split,message",
    [
        ((np.zeros((5, 783)), np.zeros(5, int)), "train: x has shape"),
        ((np.zeros((5, 784)), np.zeros(4, int)), "train: y has shape"),
        ((np.zeros((5, 784)), np.full(5, 10)), "train: labels"),
        ((np.zeros((0, 784)), np.zeros(0, int)), "train: is empty"),
    ],
)
def test_bad_splits_are_refused_with_the_split_named(split, message):
    with pytest.raises(ValueError, match=message):
        Trainer(MLP(ModelConfig(), 0), TrainConfig(), split)


def test_a_trainer_runs_once(mnist):
    train, _ = _data(mnist, 8)
    trainer = Trainer(MLP(ModelConfig(hidden_sizes=()), 0), TrainConfig(epochs=1), train)
    list(trainer.run())
    with pytest.raises(RuntimeError):
        list(trainer.run())


def test_config_penalties_shrink_the_weights_they_target(mnist):
    train, _ = _data(mnist, 2000)

    def weights(**penalty):
        model = MLP(ModelConfig(hidden_sizes=(16,)), 0)
        list(Trainer(model, TrainConfig(epochs=2, **penalty), train).run())
        w = np.concatenate([p.ravel() for p in model.weights]).astype(np.float64)
        biases = np.concatenate([p.ravel() for p in model.params[1::2]])
        return w, biases

    plain, plain_b = weights()
    l1, _ = weights(l1=True, l1_lambda=1e-3)
    l2, _ = weights(l2_lambda=1e-2)
    off, _ = weights(l1=False, l1_lambda=1e-3)  # the lambda alone does not switch L1 on
    assert np.abs(l1).sum() < 0.8 * np.abs(plain).sum()
    assert np.square(l2).sum() < 0.8 * np.square(plain).sum()
    np.testing.assert_array_equal(off, plain)
    assert plain_b.any()
