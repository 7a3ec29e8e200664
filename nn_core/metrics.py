"""Evaluation of a trained model: loss, accuracy, confusion matrix, precision/recall, worst mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nn_core.losses import cross_entropy, log_softmax


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Scores on one labelled set.

    confusion[i, j] counts samples of true class i predicted as j. Precision of a class never
    predicted, and recall of a class absent from the set, are reported as 0.
    `mistakes` holds the indices of wrong predictions, most confident first.
    """

    loss: float
    accuracy: float
    confusion: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    probabilities: np.ndarray
    predictions: np.ndarray
    mistakes: np.ndarray


def loss_and_accuracy(model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy; the cheap pair the training loop reports each epoch."""
    logits = model.logits(x)
    loss = float(cross_entropy(logits, y).mean())
    return loss, float(np.count_nonzero(logits.argmax(axis=1) == y)) / len(y)


def _labels(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    y = np.asarray(y)
    if len(x) == 0 or y.shape != (len(x),):
        raise ValueError(f"evaluate: got {len(x)} samples and labels of shape {y.shape}, expected n >= 1 of each")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= k:
        raise ValueError(f"evaluate: labels must be integers in [0, {k - 1}]")
    return y.astype(np.intp, copy=False)


def evaluate(model, x: np.ndarray, y: np.ndarray, num_mistakes: int = 25) -> Evaluation:
    k = model.config.num_classes
    y = _labels(x, y, k)
    logp = log_softmax(model.logits(x))
    probabilities = np.exp(logp)
    predictions = logp.argmax(axis=1)
    confusion = np.bincount(y * k + predictions, minlength=k * k).reshape(k, k).astype(np.int64)
    hits = np.diag(confusion).astype(np.float64)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros(k), where=actual > 0)
    wrong = np.flatnonzero(predictions != y)
    confidence = probabilities[wrong, predictions[wrong]]
    mistakes = wrong[np.argsort(-confidence, kind="stable")[:num_mistakes]]
    return Evaluation(
        loss=-float(logp[np.arange(len(y)), y].mean(dtype=np.float64)),
        accuracy=float(len(y) - len(wrong)) / len(y),
        confusion=confusion,
        precision=precision,
        recall=recall,
        probabilities=probabilities,
        predictions=predictions,
        mistakes=mistakes,
    )
