"""Dataset registry: both datasets fully described, mirrors in fallback order."""

import pytest

from data.errors import DataError
from data.registry import DATASETS, ROLES, get_spec


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_spec_is_complete(name):
    spec = get_spec(name)
    assert spec.name == name
    assert set(spec.files) == set(ROLES)
    assert set(spec.sha256) == set(spec.files.values())
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in spec.sha256.values())
    assert len(spec.class_names) == 10 and len(set(spec.class_names)) == 10
    assert spec.mirrors and all(m.startswith(("http://", "https://")) and m.endswith("/") for m in spec.mirrors)
    assert spec.file_kind("train_images") == "images" and spec.file_kind("test_labels") == "labels"


def test_mirror_order():
    assert DATASETS["mnist"].mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert DATASETS["mnist"].mirrors[-1] == "http://yann.lecun.com/exdb/mnist/"
    assert "fashion-mnist" in DATASETS["fashion-mnist"].mirrors[0]
    assert DATASETS["fashion-mnist"].class_names[9] == "Ankle boot"


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError) as e:
        get_spec("cifar")
    assert isinstance(e.value, DataError)
    assert str(e.value) == "unknown dataset 'cifar', expected one of mnist, fashion-mnist"
