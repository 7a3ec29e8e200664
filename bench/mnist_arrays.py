"""Real MNIST training arrays for the benchmarks: the project's loader if present, else the IDX files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

TRAIN_SIZE = 55_000  # the 60,000 training images less the 5,000 validation images


def _from_idx_files() -> tuple[np.ndarray, np.ndarray]:
    root = Path(os.environ.get("MNIST_TUI_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    folder = root / "mnist" if (root / "mnist").is_dir() else root
    with gzip.open(folder / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    x = np.ascontiguousarray(images[:TRAIN_SIZE], dtype=np.float32) / np.float32(255)
    return x, labels[:TRAIN_SIZE].astype(np.int64)


def load_train(limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): float32 (n, 784) scaled to [0, 1] and int64 labels, the 55,000 training samples.

    Uses `data.loader`/`data.splits` when they exist, so the bench trains on exactly what a run does.
    """
    try:
        from data.loader import load_dataset
        from data.splits import make_splits
    except ImportError:
        x, y = _from_idx_files()
    else:
        splits = make_splits(load_dataset("mnist", download=False), val_size=60_000 - TRAIN_SIZE)
        x, y = splits.x_train, splits.y_train
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.int64)
