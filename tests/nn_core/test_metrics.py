"""evaluate() against direct per-sample computations."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.metrics import evaluate, loss_and_accuracy
from nn_core.model import MLP
from nn_core.train import Trainer


@pytest.fixture(scope="module")
def trained(mnist):
    model = MLP(ModelConfig(hidden_sizes=(32,)), 0)
    list(Trainer(model, TrainConfig(epochs=1), (mnist["x_train"][:3000], mnist["y_train"][:3000])).run())
    return model, mnist["x_test"][:3000], mnist["y_test"][:3000]


def test_evaluation_matches_direct_computation(trained):
    model, x, y = trained
    ev = evaluate(model, x, y, num_mistakes=10)
    logits = model.logits(x).astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    pred = p.argmax(axis=1)
    np.testing.assert_allclose(ev.probabilities, p, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(ev.predictions, pred)
    assert ev.loss == pytest.approx(-np.mean(np.log(p[np.arange(len(y)), y])), rel=1e-5)
    assert ev.accuracy == pytest.approx(np.mean(pred == y))
    assert (ev.loss, ev.accuracy) == pytest.approx(loss_and_accuracy(model, x, y))

    confusion = np.zeros((10, 10), dtype=np.int64)
    for t, q in zip(y, pred):
        confusion[t, q] += 1
    np.testing.assert_array_equal(ev.confusion, confusion)
    assert ev.confusion.dtype == np.int64 and ev.confusion.sum() == len(y)
    np.testing.assert_array_equal(ev.confusion.sum(axis=1), np.bincount(y, minlength=10))
    for c in range(10):
        assert ev.precision[c] == pytest.approx(np.mean(y[pred == c] == c))
        assert ev.recall[c] == pytest.approx(np.mean(pred[y == c] == c))


def test_mistakes_are_the_most_confident_wrong_predictions(trained):
    model, x, y = trained
    ev = evaluate(model, x, y, num_mistakes=10)
    assert len(ev.mistakes) == 10
    assert all(ev.predictions[i] != y[i] for i in ev.mistakes)
    conf = ev.probabilities[ev.mistakes, ev.predictions[ev.mistakes]]
    assert all(a >= b for a, b in zip(conf, conf[1:]))
    wrong = np.flatnonzero(ev.predictions != y)
    others = np.setdiff1d(wrong, ev.mistakes)
    assert ev.probabilities[others, ev.predictions[others]].max() <= conf.min()


def test_classes_never_predicted_or_absent_score_zero():
    model = MLP(ModelConfig(hidden_sizes=(), input_size=2, num_classes=3), 0)
    model.params[1][...] = [10.0, 0.0, 0.0]  # always predicts class 0
    x = np.zeros((4, 2), np.float32)
    ev = evaluate(model, x, np.array([0, 0, 1, 1]))
    np.testing.assert_array_equal(ev.precision, [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(ev.recall, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(ev.confusion, [[2, 0, 0], [2, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(np.sort(ev.mistakes), [2, 3])


@pytest.mark.parametrize(
    "n,y,message",
    [(0, np.zeros(0, int), "0 samples"), (3, np.zeros(2, int), r"shape \(2,\)"), (2, np.array([0, 10]), r"\[0, 9\]")],
)
def test_bad_labels_are_refused(n, y, message):
    with pytest.raises(ValueError, match=message):
        evaluate(MLP(ModelConfig(hidden_sizes=()), 0), np.zeros((n, 784), np.float32), y)
