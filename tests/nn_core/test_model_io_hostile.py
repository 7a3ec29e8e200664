"""Hostile model files (issue 9, item 6): refused with our message, before memory is spent, never hanging."""

from __future__ import annotations

import os
import threading
import tracemalloc
import zipfile

import numpy as np
import pytest

from nn_core.config import ModelConfig
from nn_core.model import MLP
from nn_core.model_io import ModelFileError, load_model, save_model

from hostile_zips import deflated_bomb_zip, members_of, npy_header, zip_bytes

CONFIG = ModelConfig(hidden_sizes=(8,))


@pytest.fixture
def saved(tmp_path):
    return save_model(tmp_path / "m.npz", MLP(CONFIG, 0), {"kind": "simple", "mean": 0.0, "std": 255.0})


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize("shape", [(784, 8), (200_000, 256)], ids=["right-header", "huge-header"])
def test_a_deflated_bomb_is_refused_before_it_is_inflated(saved, shape):
    members = members_of(saved)
    del members["W0.npy"]
    saved.write_bytes(deflated_bomb_zip(members, "W0.npy", npy_header(shape), 200 << 20))
    assert saved.stat().st_size < 1 << 20
    with zipfile.ZipFile(saved) as z:  # a real bomb: it inflates to what it declares
        assert z.getinfo("W0.npy").file_size == 200 << 20 and z.open("W0.npy").read(6) == b"\x93NUMPY"
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="W0") as error:
            load_model(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 << 20, f"{peak} bytes allocated while refusing"
    assert str(saved) in str(error.value)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.update({"evil.txt": b"x"}), "unexpected member 'evil.txt'"),
        (lambda m: m.update({"W7.npy": _npy(np.zeros(3, np.float32))}), "beyond the 2 layers"),
        (lambda m: m.update({"b0.npy": _npy(np.zeros(1 << 20, np.float32))}), "b0"),
        (lambda m: m.update({"metadata.npy": _npy(np.array("x" * (2 << 20)))}), "metadata"),
        (lambda m: m.update({"W0.npy": _npy(np.array([{"evil": 1}], dtype=object))}), "pickled data"),
        (lambda m: m.update({"config.npy": _npy(np.array("[" * 100_000 + "]" * 100_000))}), "nested too deeply"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"foo": 1}'))}), "normalization"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"kind": "normal", "mean": 0, "std": 0}'))}), "std > 0"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"kind": "normal", "mean": NaN, "std": 1}'))}), "finite mean"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"kind": "normal", "mean": 0, "std": Infinity}'))}), "finite std"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"kind": "normal", "mean": 0, "std": 1e-320}'))}), "beyond float32"),
        (lambda m: m.update({"normalization.npy": _npy(np.array('{"kind": "normal", "mean": 1e308, "std": 1e-308}'))}), "beyond float32"),
    ],
    ids=["extra", "extra-layer", "oversized-bias", "oversized-text", "object", "nested", "foo", "std0", "nan", "inf",
         "subnormal-std", "huge-mean"],
)
def test_bad_members_are_refused_with_the_member_named(saved, change, message):
    members = members_of(saved)
    change(members)
    saved.write_bytes(zip_bytes(members))
    before = saved.read_bytes()
    with pytest.raises(ModelFileError, match=message) as error:
        load_model(saved)
    assert str(saved) in str(error.value) and "allow_pickle" not in str(error.value)
    assert saved.read_bytes() == before


def test_a_model_of_another_input_size_is_refused_for_this_dataset(tmp_path):
    path = save_model(tmp_path / "m.npz", MLP(ModelConfig(hidden_sizes=(4,), input_size=100), 0))
    assert load_model(path).model.config.input_size == 100  # a consistent file in itself
    with pytest.raises(ModelFileError, match="input_size 100.*expected 784"):
        load_model(path, input_size=784, num_classes=10)


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "m.npz"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(ModelFileError, load_model, fifo).value))
    reader.daemon = True
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader so the test process can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_model hung on a FIFO")
    assert "FIFO" in str(outcome[0])


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_never_suggest_loading_unsafely(tmp_path, seed):
    rng = np.random.default_rng(seed)
    path = tmp_path / "m.npz"
    prefix = [b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00"][seed % 3]
    path.write_bytes(prefix + rng.bytes(int(rng.integers(0, 5000))))
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    assert "allow_pickle" not in str(error.value) and "pickle" not in str(error.value).replace("pickled data", "")


def test_member_sizes_that_lie_are_refused(saved):
    """The zip says fewer bytes than the header's shape needs (or more): refused, not read short."""
    members = members_of(saved)
    members["W0.npy"] = members["W0.npy"][:-4]
    saved.write_bytes(zip_bytes(members))
    with pytest.raises(ModelFileError, match="W0"):
        load_model(saved)

