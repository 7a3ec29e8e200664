"""Where files come from: --data-dir, then $MNIST_TUI_DATA, then the user cache, then system folders."""

import gzip

import pytest

from data.errors import DataNotFoundError
from data.registry import get_spec
from data.sources import dataset_cache_dir, locate

from data_helpers import SHARED, make_folder

MNIST = get_spec("mnist")


@pytest.fixture
def places(tmp_path, monkeypatch, fresh_cache):
    """Four empty candidate places; the test fills the ones it wants."""
    env_root = tmp_path / "env"
    monkeypatch.setenv("MNIST_TUI_DATA", str(env_root))
    return {
        "data-dir": tmp_path / "mine",
        "env": env_root / "mnist",
        "cache": dataset_cache_dir("mnist"),
        "system": tmp_path / "system" / "mnist",
        "system_roots": (tmp_path / "nowhere", tmp_path / "system"),
    }


@pytest.mark.parametrize("filled", [
    ("data-dir", "env", "cache", "system"),
    ("env", "cache", "system"),
    ("cache", "system"),
    ("system",),
])
def test_first_folder_in_order_wins(places, filled):
    for kind in filled:
        make_folder(places[kind])
    data_dir = places["data-dir"] if "data-dir" in filled else None
    source = locate(MNIST, data_dir, system_roots=places["system_roots"])
    assert source.kind == filled[0]
    assert source.path == places[filled[0]]
    assert source.describe() == f"{filled[0]}: {places[filled[0]]}"
    assert set(source.files) == set(MNIST.files)
    assert all(p.parent == places[filled[0]] for p in source.files.values())


def test_incomplete_folder_is_passed_over(places):
    make_folder(places["env"], skip=("t10k-labels-idx1-ubyte.gz",))
    make_folder(places["system"])
    assert locate(MNIST, system_roots=places["system_roots"]).kind == "system"


def test_decompressed_files_are_accepted(places):
    folder = make_folder(places["data-dir"], skip=("t10k-labels-idx1-ubyte.gz",))
    raw = folder / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    assert locate(MNIST, folder).files["test_labels"] == raw


def test_named_data_dir_must_hold_the_files(places):
    make_folder(places["env"])
    make_folder(places["data-dir"], skip=("train-labels-idx1-ubyte.gz",))
    with pytest.raises(DataNotFoundError, match="missing train-labels-idx1-ubyte.gz") as e:
        locate(MNIST, places["data-dir"])
    assert str(places["data-dir"]) in str(e.value)
    with pytest.raises(DataNotFoundError, match="no such folder"):
        locate(MNIST, places["data-dir"] / "typo")


def test_not_found_lists_every_place_and_how_to_supply_files(places):
    make_folder(places["cache"], skip=("train-images-idx3-ubyte.gz",))
    with pytest.raises(DataNotFoundError) as e:
        locate(MNIST, system_roots=places["system_roots"])
    message = str(e.value)
    assert f"{places['env']}: no such folder" in message
    assert f"{places['cache']}: missing train-images-idx3-ubyte.gz" in message
    assert str(places["system"]) in message
    assert "--data-dir" in message and "mnist-tui data download" in message


def test_unset_env_is_reported(places, monkeypatch):
    monkeypatch.delenv("MNIST_TUI_DATA")
    with pytest.raises(DataNotFoundError, match=r"\$MNIST_TUI_DATA: not set"):
        locate(MNIST, system_roots=())


def test_user_cache_follows_xdg(places, fresh_cache):
    assert places["cache"] == fresh_cache / "datasets" / "mnist"
