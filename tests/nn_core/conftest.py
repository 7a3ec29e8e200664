"""Real MNIST for the engine's learning tests, read once per session.

Read straight from the shared IDX files with gzip + numpy so these tests depend on nn_core only.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest


def _idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="session")
def mnist() -> dict[str, np.ndarray]:
    """Train and test arrays scaled to [0, 1] float32 (the 'simple' normalisation), labels intp."""
    root = Path(os.environ["MNIST_TUI_DATA"]) / "mnist"
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = _idx(root / f"{prefix}-images-idx3-ubyte.gz")
        out[f"x_{split}"] = (images.reshape(len(images), -1) / np.float32(255)).astype(np.float32)
        out[f"y_{split}"] = _idx(root / f"{prefix}-labels-idx1-ubyte.gz").astype(np.intp)
    return out
