"""Splits of the real MNIST: sizes, seeding, disjointness, subsets, train-only normalization, float32."""

import numpy as np
import pytest

from data.errors import SplitError
from data.loader import load_dataset
from data.splits import Normalization, make_splits, split_indices


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist", download=False)


def test_default_split_sizes_and_types(mnist):
    splits = make_splits(mnist)
    assert splits.sizes() == {"train": 55000, "val": 5000, "test": 10000}
    for x in (splits.x_train, splits.x_val, splits.x_test):
        assert x.dtype == np.float32 and x.shape[1] == 784 and x.flags["C_CONTIGUOUS"]
    for y in (splits.y_train, splits.y_val, splits.y_test):
        assert y.dtype == np.int64
    assert splits.x_train.min() == 0.0 and splits.x_train.max() == 1.0


def test_rows_map_back_to_the_raw_images(mnist):
    splits = make_splits(mnist, limit=2000, seed=3)
    for x, y, idx, images, labels in (
        (splits.x_train, splits.y_train, splits.train_indices, mnist.train_images, mnist.train_labels),
        (splits.x_val, splits.y_val, splits.val_indices, mnist.train_images, mnist.train_labels),
        (splits.x_test, splits.y_test, splits.test_indices, mnist.test_images, mnist.test_labels),
    ):
        for row in (0, len(idx) // 2, len(idx) - 1):
            np.testing.assert_array_equal(x[row], images[idx[row]].ravel() / np.float32(255))
            assert y[row] == labels[idx[row]]
    np.testing.assert_array_equal(splits.test_indices, np.arange(10000))


def test_train_and_validation_are_disjoint_and_cover_the_file():
    train, val = split_indices(60000, 5000, None, seed=0)
    assert len(np.intersect1d(train, val)) == 0
    assert len(np.union1d(train, val)) == 60000


def test_seed_reproduces_and_changes_the_split():
    a = split_indices(60000, 5000, None, seed=1)
    b = split_indices(60000, 5000, None, seed=1)
    c = split_indices(60000, 5000, None, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_limit_takes_a_subset_and_keeps_the_validation_set():
    train, val = split_indices(60000, 5000, 1000, seed=0)
    full_train, full_val = split_indices(60000, 5000, None, seed=0)
    assert len(train) == 1000 and np.isin(train, full_train).all()
    np.testing.assert_array_equal(val, full_val)


def test_normal_uses_training_statistics_only(mnist):
    splits = make_splits(mnist, val_size=5000, limit=3000, seed=0, normalization="normal")
    raw_train = mnist.train_images[splits.train_indices].astype(np.float64)
    norm = splits.normalization
    assert norm.kind == "normal"
    assert norm.mean == pytest.approx(raw_train.mean(), rel=1e-12)
    assert norm.std == pytest.approx(raw_train.std(), rel=1e-12)
    assert abs(float(splits.x_train.mean())) < 1e-5 and float(splits.x_train.std()) == pytest.approx(1, abs=1e-5)
    # Validation and test use the training statistics, so their own mean is not forced to zero.
    expected_test = (mnist.test_images.reshape(10000, 784) - norm.mean) / norm.std
    np.testing.assert_allclose(splits.x_test, expected_test, rtol=1e-6, atol=1e-6)
    assert abs(float(splits.x_test.mean())) > 1e-3


def test_normalization_round_trips_through_a_dict():
    norm = Normalization("normal", 33.3, 78.5)
    assert Normalization.from_dict(norm.to_dict()) == norm
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    np.testing.assert_allclose(norm.apply(images).ravel(), (np.arange(256) - 33.3) / 78.5, rtol=1e-6)
    with pytest.raises(TypeError, match="expects uint8"):
        norm.apply(images.astype(np.float32))
    with pytest.raises(SplitError, match="normalization"):
        Normalization.from_dict({"kind": "normal", "mean": 0})
    with pytest.raises(SplitError, match="std > 0"):
        Normalization.from_dict({"kind": "normal", "mean": 0, "std": 0})


@pytest.mark.parametrize("kwargs, field", [
    ({"val_size": 60000}, "val_size"),
    ({"val_size": -1}, "val_size"),
    ({"limit": 0}, "limit"),
    ({"limit": 55001}, "limit"),
    ({"normalization": "minmax"}, "normalization"),
])
def test_bad_settings_name_the_field(mnist, kwargs, field):
    with pytest.raises(SplitError, match=f"^{field}: got"):
        make_splits(mnist, **kwargs)


def test_no_validation_set(mnist):
    splits = make_splits(mnist, val_size=0, limit=100)
    assert splits.x_val.shape == (0, 784) and splits.sizes()["train"] == 100
