"""Train / validation / test splits as float32 rows, and the normalization that scales them.

The validation set is drawn (seeded) from the 60,000 training images; the 10,000 test images
stay apart, in file order. `normal` normalization uses the mean and standard deviation of the
training split only and applies them to validation and test, so nothing about held-out data
leaks into training (the original program computed statistics per split, which does leak).
Conversion goes through a 256-entry lookup table in row chunks: no float64 copy of the images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from data.errors import SplitError

NORMALIZATIONS = ("simple", "normal")
CHUNK_ROWS = 4096


@dataclass(frozen=True)
class Normalization:
    """x -> (x - mean) / std on raw pixel values 0-255; 'simple' is mean 0, std 255 (x/255)."""

    kind: str
    mean: float
    std: float

    @classmethod
    def simple(cls) -> "Normalization":
        return cls("simple", 0.0, 255.0)

    @classmethod
    def fit(cls, images: np.ndarray, rows: np.ndarray | None = None) -> "Normalization":
        """'normal' statistics (scalar mean, population std) of `images[rows]`, exact.

        Pixels are uint8, so a 256-bin histogram, counted chunk by chunk, holds all the data needs.
        """
        rows = np.arange(len(images)) if rows is None else rows
        counts = np.zeros(256, dtype=np.int64)
        for start in range(0, len(rows), CHUNK_ROWS):
            counts += np.bincount(images[rows[start:start + CHUNK_ROWS]].ravel(), minlength=256)
        n = counts.sum()
        if n == 0:
            raise SplitError("cannot compute normalization statistics of an empty training split")
        values = np.arange(256, dtype=np.float64)
        mean = float(counts @ values / n)
        std = float(np.sqrt(counts @ (values - mean) ** 2 / n))
        return cls("normal", mean, std if std > 0 else 1.0)

    def table(self) -> np.ndarray:
        """float32 value of each of the 256 pixel values."""
        return ((np.arange(256, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def apply(self, images: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """float32 (n, pixels) C-contiguous rows of uint8 `images` (optionally only `rows` of them)."""
        if images.dtype != np.uint8:
            raise TypeError(f"Normalization.apply expects uint8 pixel values 0-255, got {images.dtype}")
        table = self.table()
        n = len(images) if rows is None else len(rows)
        pixels = int(np.prod(images.shape[1:]))
        out = np.empty((n, pixels), dtype=np.float32)
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            chunk = images[start:stop] if rows is None else images[rows[start:stop]]
            np.take(table, chunk.reshape(stop - start, pixels), out=out[start:stop], mode="clip")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Normalization":
        try:
            kind, mean, std = values["kind"], float(values["mean"]), float(values["std"])
        except (KeyError, TypeError, ValueError) as e:
            raise SplitError(f"normalization: got {values!r}, expected kind, mean and std ({e})") from None
        if kind not in NORMALIZATIONS or not std > 0:
            raise SplitError(f"normalization: got {values!r}, expected kind in {NORMALIZATIONS} and std > 0")
        return cls(kind, mean, std)


@dataclass(frozen=True, eq=False)
class Splits:
    """Model-ready rows. `*_indices` map each row back to the dataset's images:
    x_train[i] comes from dataset.train_images[train_indices[i]], x_test[i] from test_images[i]."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    normalization: Normalization
    train_indices: np.ndarray
    val_indices: np.ndarray
    test_indices: np.ndarray
    seed: int

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def split_indices(total: int, val_size: int, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, validation) row indices into `total` training images.

    The validation rows depend only on the seed and `val_size`, never on `limit`, so runs on a
    training subset are scored on the same validation set as full runs.
    """
    if isinstance(val_size, bool) or not isinstance(val_size, (int, np.integer)) or not 0 <= val_size < total:
        raise SplitError(f"val_size: got {val_size!r}, expected a whole number from 0 to {total - 1}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise SplitError(f"limit: got {limit!r}, expected a whole number >= 1, or none for all")
    if limit is not None and limit > total - val_size:
        raise SplitError(
            f"limit: got {limit}, expected at most {total - val_size} "
            f"(the training images left after a validation set of {val_size})"
        )
    order = np.random.default_rng(seed).permutation(total)
    val = np.sort(order[:val_size])
    train = order[val_size:] if limit is None else order[val_size:val_size + limit]
    return np.sort(train), val


def make_splits(
    dataset, *, val_size: int = 5000, limit: int | None = None, seed: int = 0, normalization: str = "simple"
) -> Splits:
    """Split `dataset` (a data.loader.Dataset) into normalized float32 train / validation / test rows.

    Args:
        val_size: validation images drawn from the training file (0 for none).
        limit: keep only this many training images (a random subset) for quick runs.
        seed: fixes which images go where.
        normalization: 'simple' (x/255) or 'normal' (z-score with training-split statistics).
    """
    train_idx, val_idx = split_indices(len(dataset.train_labels), val_size, limit, seed)
    if normalization == "simple":
        norm = Normalization.simple()
    elif normalization == "normal":
        norm = Normalization.fit(dataset.train_images, train_idx)
    else:
        raise SplitError(f"normalization: got {normalization!r}, expected one of {', '.join(NORMALIZATIONS)}")
    labels = np.asarray(dataset.train_labels)
    return Splits(
        x_train=norm.apply(dataset.train_images, train_idx),
        y_train=labels[train_idx].astype(np.int64),
        x_val=norm.apply(dataset.train_images, val_idx),
        y_val=labels[val_idx].astype(np.int64),
        x_test=norm.apply(dataset.test_images),
        y_test=np.asarray(dataset.test_labels).astype(np.int64),
        normalization=norm,
        train_indices=train_idx,
        val_indices=val_idx,
        test_indices=np.arange(len(dataset.test_labels)),
        seed=seed,
    )
