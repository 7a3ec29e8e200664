"""Loading the real datasets: verified decode, fast cached reload, stale and corrupt caches, read-only folders."""

import os

import numpy as np
import pytest

from data import cache
from data.errors import ChecksumError, DataNotFoundError, IdxFormatError
from data.idx import write_idx
from data.loader import load_dataset
from data.registry import get_spec
from data_helpers import SHARED, make_folder

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
LABELS = "t10k-labels-idx1-ubyte.gz"


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_real_dataset_from_env(name):
    dataset = load_dataset(name, download=False)
    assert dataset.source.kind == "env" and dataset.source.path == SHARED / name
    assert not dataset.downloaded
    assert dataset.train_images.shape == (60000, 28, 28) and dataset.train_images.dtype == np.uint8
    assert dataset.train_labels.shape == (60000,) and dataset.test_images.shape == (10000, 28, 28)
    assert dataset.test_labels.shape == (10000,)
    assert dataset.checksums == get_spec(name).sha256
    if name == "mnist":
        assert dataset.class_counts("train").tolist() == MNIST_TRAIN_COUNTS
    else:
        assert dataset.class_counts("test").tolist() == [1000] * 10


def test_second_load_maps_the_cache(tmp_path, fresh_cache):
    folder = make_folder(tmp_path / "mnist")
    cold = load_dataset("mnist", folder)
    warm = load_dataset("mnist", folder)
    for role in ("train_images", "train_labels", "test_images", "test_labels"):
        array = getattr(warm, role)
        assert isinstance(array, np.memmap) and not array.flags.writeable
        assert os.path.dirname(array.filename) == str(fresh_cache / "arrays")
        np.testing.assert_array_equal(array, getattr(cold, role))
    assert sorted(p.name for p in (fresh_cache / "arrays").glob("*.npy")) == sorted(
        f"{h}.npy" for h in get_spec("mnist").sha256.values()
    )


def test_changed_source_is_verified_again(tmp_path, fresh_cache):
    folder = make_folder(tmp_path / "mnist", copy=(LABELS,))
    load_dataset("mnist", folder)
    sha = get_spec("mnist").sha256[LABELS]
    assert cache.lookup(cache.source_key(folder / LABELS), sha) is not None
    os.utime(folder / LABELS, ns=(1, 1))
    assert cache.lookup(cache.source_key(folder / LABELS), sha) is None
    load_dataset("mnist", folder)
    assert cache.lookup(cache.source_key(folder / LABELS), sha) is not None
    # Same size and a new mtime, but different content: the re-verification must refuse it.
    content = bytearray((folder / LABELS).read_bytes())
    content[-9] ^= 0xFF
    (folder / LABELS).write_bytes(bytes(content))
    with pytest.raises(IdxFormatError) as e:
        load_dataset("mnist", folder)
    assert LABELS in str(e.value)


@pytest.mark.parametrize("damage", ["truncate", "rewrite", "delete", "manifest"])
def test_corrupt_cache_is_rebuilt(tmp_path, fresh_cache, damage):
    folder = make_folder(tmp_path / "mnist")
    expected = np.array(load_dataset("mnist", folder).test_labels)  # a copy: the map dies with the file
    sha = get_spec("mnist").sha256[LABELS]
    npy = fresh_cache / "arrays" / f"{sha}.npy"
    if damage == "truncate":
        npy.write_bytes(npy.read_bytes()[:500])
    elif damage == "rewrite":
        np.save(npy, np.zeros(10000, dtype=np.uint8))
    elif damage == "delete":
        npy.unlink()
    else:
        (fresh_cache / "arrays" / f"{sha}.json").write_text("{not json")
    assert cache.lookup(cache.source_key(folder / LABELS), sha) is None
    again = load_dataset("mnist", folder)
    np.testing.assert_array_equal(again.test_labels, expected)
    assert cache.lookup(cache.source_key(folder / LABELS), sha) is not None


def test_read_only_data_folder(tmp_path, fresh_cache):
    folder = make_folder(tmp_path / "mnist", copy=tuple(get_spec("mnist").files.values()))
    before = sorted(os.listdir(folder))
    folder.chmod(0o555)
    try:
        dataset = load_dataset("mnist", folder)
        load_dataset("mnist", folder)
    finally:
        folder.chmod(0o755)
    assert sorted(os.listdir(folder)) == before
    assert dataset.source.kind == "data-dir"
    assert len(list((fresh_cache / "arrays").glob("*.npy"))) == 4


def test_unwritable_cache_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    dataset = load_dataset("mnist", make_folder(tmp_path / "mnist"))
    assert not isinstance(dataset.train_images, np.memmap)
    assert dataset.class_counts().tolist() == MNIST_TRAIN_COUNTS


def test_truncated_file_is_refused_with_its_name(tmp_path, fresh_cache):
    folder = make_folder(tmp_path / "mnist", skip=("t10k-images-idx3-ubyte.gz",))
    data = (SHARED / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(IdxFormatError, match="truncated") as e:
        load_dataset("mnist", folder)
    assert "t10k-images-idx3-ubyte.gz" in str(e.value)


def test_valid_idx_with_other_content_fails_checksum(tmp_path, fresh_cache):
    folder = make_folder(tmp_path / "mnist", skip=(LABELS,))
    write_idx(folder / LABELS, np.zeros(10000, dtype=np.uint8))
    with pytest.raises(ChecksumError, match="expected ff7bcfd4") as e:
        load_dataset("mnist", folder)
    assert str(folder / LABELS) in str(e.value)


def test_nothing_found_without_download(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setenv("MNIST_TUI_DATA", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError, match="mnist-tui data download"):
        load_dataset("mnist", download=False, system_roots=())


def test_shared_files_untouched():
    """The tests above copy before modifying; the shared folder keeps its own files only."""
    assert sorted(os.listdir(SHARED / "mnist")) == sorted(get_spec("mnist").files.values())


def test_unreadable_file_is_a_data_error(tmp_path):
    from data.errors import DataError
    from data.loader import decode_verified

    with pytest.raises(DataError, match="cannot read the file") as e:
        decode_verified(tmp_path, "labels", "0" * 64)
    assert str(tmp_path) in str(e.value)
