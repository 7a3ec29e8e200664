"""MNIST-style preprocessing: 20x20 box keeping the aspect, centre of mass at (14, 14); and the fidelity test."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from data.loader import load_dataset
from data.preprocess import centre_of_mass, mnist_style
from data.splits import Normalization
from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import MLP
from nn_core.train import Trainer


def test_a_tall_stroke_fills_20_rows_keeps_its_aspect_and_is_centred():
    canvas = np.zeros((300, 200))
    canvas[50:250, 90:110] = 1.0  # 200 tall, 20 wide: becomes 20 x 2
    out = mnist_style(canvas)
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    assert len(rows) == 20 and len(cols) == 2
    cy, cx = centre_of_mass(out.astype(float))
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert out.max() == 255 and out.dtype == np.uint8


def test_the_centre_of_mass_not_the_box_is_centred():
    canvas = np.zeros((40, 20))
    canvas[:, 0:4] = 1.0  # a heavy bar on the left and a faint one on the right: a box 20 x 10
    canvas[:, 16:20] = 0.3
    out = mnist_style(canvas).astype(float)
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert np.flatnonzero(out.any(axis=0))[0] >= 11  # a centred box would start at column 9


def test_a_blank_picture_gives_a_blank_digit():
    assert not mnist_style(np.zeros((10, 10))).any()
    assert not mnist_style(np.full((10, 10), np.nan)).any()


@pytest.fixture(scope="module")
def trained():
    dataset = load_dataset("mnist", download=False)
    scale = Normalization.simple()
    x, y = scale.apply(dataset.train_images[:20000]), dataset.train_labels[:20000].astype(np.intp)
    model = MLP(ModelConfig(), 0)
    list(Trainer(model, TrainConfig(epochs=3), (x, y)).run())
    return model, scale, dataset


def test_fidelity_200_test_digits_moved_and_rescaled_keep_their_prediction(trained):
    """Each digit is cropped, rescaled to a new size (30-120 pixels tall) and put at a random place on a
    larger canvas; after preprocessing the model must predict what it predicted for the original."""
    model, scale, dataset = trained
    rng = np.random.default_rng(11)
    images = dataset.test_images[:200]
    kept = 0
    for image in images:
        rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
        crop = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        factor = rng.uniform(30, 120) / crop.shape[0]
        size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
        moved = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC))
        canvas = np.zeros((200, 160), dtype=np.uint8)
        top, left = rng.integers(0, 200 - size[1] + 1), rng.integers(0, 160 - size[0] + 1)
        canvas[top:top + size[1], left:left + size[0]] = moved
        again = mnist_style(canvas.astype(float))
        before = model.predict(scale.apply(image[None]))[0]
        after = model.predict(scale.apply(again[None]))[0]
        kept += before == after
    print(f"fidelity: {kept} of 200 predictions kept")
    assert kept >= 190, f"only {kept} of 200 predictions kept"
