"""Real MNIST for the engine's learning tests, loaded once per session through `data`."""

from __future__ import annotations

import numpy as np
import pytest

from data.loader import load_dataset
from data.splits import Normalization


@pytest.fixture(scope="session")
def mnist() -> dict[str, np.ndarray]:
    """All 60,000 train and 10,000 test images in file order, scaled to [0, 1] float32; labels intp."""
    dataset = load_dataset("mnist", download=False)
    scale = Normalization.simple()
    return {
        "x_train": scale.apply(dataset.train_images),
        "y_train": dataset.train_labels.astype(np.intp),
        "x_test": scale.apply(dataset.test_images),
        "y_test": dataset.test_labels.astype(np.intp),
    }
