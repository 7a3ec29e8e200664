"""Model files: exact round trip, atomic writes, and refusal of anything that is not a valid model."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from nn_core.config import ModelConfig
from nn_core.model import MLP
from nn_core.model_io import MAGIC, ModelFileError, load_model, save_model

NORMALIZATION = {"kind": "normal", "mean": 33.3, "std": 78.6}


@pytest.fixture
def saved(tmp_path):
    model = MLP(ModelConfig(hidden_sizes=(8, 4), activation="tanh"), 2)
    for b in model.params[1::2]:
        b[...] = np.arange(b.size, dtype=np.float32) / 7
    path = save_model(tmp_path / "m.npz", model, NORMALIZATION, {"run_id": 3, "acc": np.float64(0.5)})
    return path, model


def _arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _rewrite(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_round_trip_is_exact(saved):
    path, model = saved
    loaded = load_model(path)
    assert loaded.model.config == model.config
    for a, b in zip(loaded.model.params, model.params):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert loaded.normalization == NORMALIZATION
    assert loaded.metadata == {"run_id": 3, "acc": 0.5}
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(loaded.model.predict_proba(x), model.predict_proba(x))


def test_optional_fields_may_be_absent(tmp_path):
    path = save_model(tmp_path / "sub" / "m.npz", MLP(ModelConfig(hidden_sizes=()), 0))
    loaded = load_model(path)
    assert loaded.normalization is None and loaded.metadata is None


def test_save_is_atomic_and_keeps_the_old_file_on_failure(saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()
    with pytest.raises(TypeError, match="set is not JSON"):
        save_model(path, model, metadata={"bad": {1, 2}})

    def disk_full(f, **arrays):
        f.write(b"PK half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_model(path, model)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file") as err:
        load_model(tmp_path / "nope.npz")
    assert "nope.npz" in str(err.value)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_file(saved, cut):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ModelFileError, match="m.npz"):
        load_model(path)


def test_corrupted_member(saved):
    path, _ = saved
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("W0.npy")
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start : start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="m.npz"):
        load_model(path)


def test_random_bytes_and_plain_npy(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelFileError, match="junk.npz"):
        load_model(junk)
    npy = tmp_path / "one.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ModelFileError, match="single .npy"):
        load_model(npy)


def test_foreign_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros((784, 10)), labels=np.arange(10))
    with pytest.raises(ModelFileError, match="not a mnist-tui model"):
        load_model(path)


def test_pickled_object_arrays_are_refused(saved):
    path, _ = saved
    arrays = _arrays(path)
    arrays["metadata"] = np.array([{"evil": 1}], dtype=object)
    _rewrite(path, arrays)
    with pytest.raises(ModelFileError, match="m.npz"):
        load_model(path)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda a: a.update(W1=np.zeros((8, 5), np.float32)), r"W1 has shape \(8, 5\), expected \(8, 4\)"),
        (lambda a: a.pop("b2"), "missing array b2"),
        (lambda a: a.update(W3=np.zeros((10, 10), np.float32)), "beyond the 3 layers"),
        (lambda a: a.update(W0=a["W0"].astype(np.float64)), "dtype float64, expected float32"),
        (lambda a: a["b0"].__setitem__(1, np.nan), "NaN"),
        (lambda a: a.update(config=np.array(json.dumps({"hidden_sizes": [8, 5], "activation": "tanh"}))), r"expected \(8, 5\)"),
        (lambda a: a.update(config=np.array(json.dumps({"hidden_sizes": [8, 4], "activation": "swish"}))), "activation"),
        (lambda a: a.update(config=np.array("{not json")), "not valid JSON"),
        (lambda a: a.update(version=np.array(99)), "version"),
        (lambda a: a.update(format=np.array("something-else")), MAGIC),
        (lambda a: a.update(normalization=np.array("[1, 2]")), "normalization"),
    ],
)
def test_mismatched_or_invalid_contents(saved, change, message):
    path, _ = saved
    arrays = _arrays(path)
    change(arrays)
    _rewrite(path, arrays)
    with pytest.raises(ModelFileError, match=message) as err:
        load_model(path)
    assert str(path) in str(err.value)
