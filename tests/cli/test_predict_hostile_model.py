"""`predict` on a damaged or hostile model file (issue 9, item 6): exit 1 with one message naming the
file, no traceback, no hang, and the file left byte-identical."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from cli_helpers import cli, train_json
from nn_core.config import ModelConfig
from nn_core.model import MLP
from nn_core.model_io import save_model
from runs.store import RunStore


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    train_json(home, "--limit", "300", "--val-size", "100", "--epochs", "1", "--hidden-sizes", "8")
    with RunStore.open(home) as store:
        path = store.model_path(1)
    return home, path, path.read_bytes()


def _with_member(valid: bytes, name: str, value: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(valid)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buffer = io.BytesIO()
    np.save(buffer, np.array(value))
    members[name] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return out.getvalue()


def _input_100(path):
    save_model(path, MLP(ModelConfig(hidden_sizes=(8,), input_size=100), 0), {"kind": "simple", "mean": 0, "std": 255})


CASES = {
    "nested-config": (lambda v: _with_member(v, "config.npy", "[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "normalization-foo": (lambda v: _with_member(v, "normalization.npy", '{"foo": 1}'), "normalization"),
    "normalization-std-0": (lambda v: _with_member(v, "normalization.npy", '{"kind": "normal", "mean": 0, "std": 0}'),
                            "std > 0"),
    "normalization-nan": (lambda v: _with_member(v, "normalization.npy", '{"kind": "normal", "mean": NaN, "std": 1}'),
                          "finite mean"),
    "random-bytes": (lambda v: np.random.default_rng(1).bytes(4000), "not a readable .npz"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_model_contents(trained, case):
    home, path, valid = trained
    make, message = CASES[case]
    path.write_bytes(make(valid))
    before = path.read_bytes()
    try:
        result = cli(home, "predict", "--run", "1", "--count", "1", timeout=60)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr and str(path) in result.stderr
        assert "Traceback" not in result.stderr and "allow_pickle" not in result.stderr
        assert path.read_bytes() == before
    finally:
        path.write_bytes(valid)


def test_a_model_for_another_input_size(trained):
    home, path, valid = trained
    _input_100(path)
    try:
        result = cli(home, "predict", "--run", "1", "--count", "1", timeout=60)
        assert result.returncode == 1 and "input_size 100" in result.stderr and "Traceback" not in result.stderr
    finally:
        path.write_bytes(valid)


def test_a_fifo_in_place_of_the_model_does_not_hang(trained):
    home, path, valid = trained
    path.unlink()
    os.mkfifo(path)
    try:
        result = cli(home, "predict", "--run", "1", "--count", "1", timeout=30)
        assert result.returncode == 1 and "FIFO" in result.stderr and "Traceback" not in result.stderr
    finally:
        path.unlink()
        path.write_bytes(valid)
    assert json.loads(cli(home, "runs", "list", "--json").stdout)[0]["id"] == 1
