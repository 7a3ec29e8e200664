"""Small builders shared by the run-store tests."""

from __future__ import annotations

from runs.config import DataConfig, RunConfig
from nn_core.config import TrainConfig


def epoch_record(epoch: int, acc: float = 0.9) -> dict:
    return {
        "epoch": epoch, "train_loss": 0.5 / epoch, "train_acc": acc, "val_loss": 0.4 / epoch, "val_acc": acc,
        "test_loss": 0.45 / epoch, "test_acc": acc - 0.01, "lr": 0.03, "seconds": 1.5,
    }


def small_config(seed: int = 3) -> RunConfig:
    return RunConfig(data=DataConfig(limit=500), train=TrainConfig(epochs=3, seed=seed))


DATASET_INFO = {"source": {"kind": "env", "path": "/data"}, "checksums": {"a.gz": "00ff"}}
