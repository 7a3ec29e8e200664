"""Augmentation: the tables shift and rotate as the formulas say, draws are seeded and fresh,
and only training images are transformed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_core.augment import Augmenter, transform_tables
from nn_core.config import ConfigError, ModelConfig, TrainConfig
from nn_core.metrics import loss_and_accuracy
from nn_core.model import MLP
from nn_core.train import Trainer


def _apply_table(table, image):
    src = np.append(image.ravel(), 0)
    return src[np.minimum(table, len(src) - 1)].reshape(image.shape)


def _shifted(image, dx, dy):
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def test_shift_tables_move_the_image_with_zeros_coming_in():
    image = np.random.default_rng(0).random((28, 28))
    tables = transform_tables(28, 2, 0.0)
    assert len(tables) == 25
    expected = {(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)}
    found = set()
    for table in tables:
        out = _apply_table(table, image)
        matches = [(dx, dy) for dx, dy in expected if np.array_equal(out, _shifted(image, dx, dy))]
        assert len(matches) == 1
        found.add(matches[0])
    assert found == expected


@pytest.mark.parametrize("degrees", [10.0, -7.0])
def test_rotation_tables_turn_a_pixel_about_the_centre(degrees):
    tables = transform_tables(28, 0, 10.0)
    assert len(tables) == 21
    angles = np.linspace(-10, 10, 21)
    table = tables[int(np.argmin(np.abs(angles - degrees)))]
    image = np.zeros((28, 28))
    image[13, 24] = 1.0  # 10.5 columns right of the centre (13.5, 13.5), 0.5 rows above it
    out = _apply_table(table, image)
    assert out.sum() >= 1
    r, c = np.argwhere(out == 1).mean(axis=0)
    theta = math.radians(degrees)
    # The output shows the input at R(-theta)(p): the lit pixel appears at R(theta) of where it was.
    y, x = 13 - 13.5, 24 - 13.5
    expect_r = math.cos(theta) * y - math.sin(theta) * x + 13.5
    expect_c = math.sin(theta) * y + math.cos(theta) * x + 13.5
    assert abs(r - expect_r) <= 1.0 and abs(c - expect_c) <= 1.0
    assert (r, c) != (13, 24)


def test_a_transform_is_one_rotation_then_shift_cropped_once():
    """The output pixel p shows the input at rint(R(-theta) p) - (dy, dx) (0 outside the frame):
    one rigid motion, so a shift is a translation of the rotation's source map and a pixel the
    rotation alone brings from outside the frame may still show the image after the shift."""
    side, shift = 28, 2
    tables = transform_tables(side, shift, 10.0).reshape(21, 2 * shift + 1, 2 * shift + 1, -1)
    image = np.random.default_rng(3).random((side, side))
    centre = (side - 1) / 2
    y, x = np.mgrid[0:side, 0:side].reshape(2, -1) - centre
    came_in = 0
    for a, degrees in enumerate(np.linspace(-10, 10, 21)):
        theta = math.radians(degrees)
        src_r = np.rint(math.cos(theta) * y + math.sin(theta) * x + centre).astype(int)
        src_c = np.rint(-math.sin(theta) * y + math.cos(theta) * x + centre).astype(int)
        for dy in range(-shift, shift + 1):
            for dx in range(-shift, shift + 1):
                r, c = src_r - dy, src_c - dx
                inside = (r >= 0) & (r < side) & (c >= 0) & (c < side)
                expected = np.where(inside, image[r.clip(0, side - 1), c.clip(0, side - 1)], 0.0)
                out = _apply_table(tables[a, dy + shift, dx + shift], image).ravel()
                np.testing.assert_array_equal(out, expected, err_msg=f"{degrees} degrees, dy {dy}, dx {dx}")
                rotated_from_outside = (src_r < 0) | (src_r >= side) | (src_c < 0) | (src_c >= side)
                came_in += np.count_nonzero(rotated_from_outside & inside)
    assert came_in > 0


def test_augmenter_is_seeded_fresh_per_epoch_and_keeps_images_in_place():
    rng = np.random.default_rng(1)
    images = rng.random((6, 784)).astype(np.float32)
    source = np.concatenate([[1], images.ravel(), [0]]).astype(np.float32)
    outs = []
    for _ in range(2):
        aug = Augmenter(28, 2, 10.0, np.random.default_rng(9))
        epochs = []
        for _ in range(2):
            aug.new_epoch(len(images))
            out = np.zeros((6, 785), np.float32)
            aug.apply(source, 0, out)
            epochs.append(out)
        outs.append(epochs)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert not np.array_equal(outs[0][0], outs[0][1])
    # Each output is its own input under one of the transforms (not another image's), then the bias 1.
    tables = transform_tables(28, 2, 10.0)
    for i, out in enumerate(outs[0][0]):
        assert out[-1] == 1
        image = images[i].reshape(28, 28)
        assert any(np.array_equal(out[:-1].reshape(28, 28), _apply_table(t, image)) for t in tables)
    # A batch from the middle of the epoch gets those images' own draws.
    aug = Augmenter(28, 2, 10.0, np.random.default_rng(9))
    aug.new_epoch(len(images))
    tail = np.zeros((2, 785), np.float32)
    aug.apply(np.concatenate([[1], images[4:].ravel(), [0]]).astype(np.float32), 4, tail)
    np.testing.assert_array_equal(tail, outs[0][0][4:])


def test_augment_settings_are_checked():
    assert not TrainConfig().augments and TrainConfig(augment_shift=2).augments
    for field, bad in (("augment_shift", 9), ("augment_shift", -1), ("augment_rotate", 46.0), ("augment_rotate", math.inf)):
        with pytest.raises(ConfigError, match=field):
            TrainConfig(**{field: bad})
    with pytest.raises(ValueError, match="square"):
        Trainer(MLP(ModelConfig(input_size=30, hidden_sizes=()), 0), TrainConfig(augment_shift=1),
                (np.zeros((4, 30), np.float32), np.zeros(4, np.intp)))


def test_training_images_are_augmented_and_validation_images_are_not(mnist):
    train = (mnist["x_train"][:1500], mnist["y_train"][:1500])
    val = (mnist["x_train"][-500:], mnist["y_train"][-500:])
    seen = []

    def run(**augment):
        model = MLP(ModelConfig(hidden_sizes=(16,)), 0)
        trainer = Trainer(model, TrainConfig(epochs=1, **augment), train, val)
        original = model.train_step

        def spy(xb, *args, **kwargs):
            seen.append(xb[:, :-1].copy())
            return original(xb, *args, **kwargs)

        model.train_step = spy
        record = list(trainer.run())[0]
        return model, record

    model, record = run(augment_shift=2, augment_rotate=10.0)
    val_loss, _ = loss_and_accuracy(model, *val)
    assert record.val_loss == pytest.approx(val_loss, rel=1e-6)
    augmented = np.concatenate(seen)
    seen.clear()
    run()
    plain = np.concatenate(seen)
    assert augmented.shape == plain.shape
    # Same shuffled images, but moved: many pixels differ, the ink (up to what leaves the frame) stays.
    assert np.mean(np.any(augmented != plain, axis=1)) > 0.9
    assert augmented.sum() == pytest.approx(plain.sum(), rel=0.05)


def test_runs_with_dropout_and_augmentation_repeat_bit_for_bit(mnist):
    train = (mnist["x_train"][:1000], mnist["y_train"][:1000])

    def run(seed):
        model = MLP(ModelConfig(hidden_sizes=(16,)), 0)
        config = TrainConfig(epochs=2, seed=seed, dropout=(0.3,), augment_shift=2, augment_rotate=10.0, optimizer="adam")
        list(Trainer(model, config, train).run())
        return model.params[0]

    first, again, other = run(1), run(1), run(2)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
