"""Model files with best and last weights and a training checkpoint (format 2): round trip and hostile variants.

Both weight sets and the optimizer arrays pass the hardened loader's checks (names, .npy headers,
sizes against the config) before a byte of them is inflated, whichever set is asked for.
"""

from __future__ import annotations

import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import MLP
from nn_core.model_io import ModelFileError, load_checkpoint, load_model, save_model
from nn_core.train import Trainer
from hostile_zips import deflated_bomb_zip, members_of, npy_header, zip_bytes
from test_model_io_hostile import _npy

CONFIG = ModelConfig(hidden_sizes=(8,), input_size=16, num_classes=3)


@pytest.fixture
def trained(tmp_path):
    """A model file after 3 epochs of momentum with a validation set, and the trainer that wrote it."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 16)).astype(np.float32), rng.integers(0, 3, 200)
    model = MLP(CONFIG, 1)
    trainer = Trainer(model, TrainConfig(epochs=3, batch_size=16, dropout=(0.1,)), train=(x[:150], y[:150]),
                      val=(x[150:], y[150:]))
    for _ in trainer.run():
        pass
    path = save_model(tmp_path / "m.npz", model, checkpoint=trainer.state())
    return path, trainer


def test_both_weight_sets_and_the_checkpoint_round_trip(trained):
    path, trainer = trained
    last, best = load_model(path), load_model(path, weights="best")
    assert last.has_best and last.weights == "last" and best.weights == "best"
    for got, want in zip(last.model.layers, trainer.model.layers):
        assert np.array_equal(got, want)
    for got, want in zip(best.model.layers, trainer.best_layers):
        assert np.array_equal(got, want)
    saved, state = load_checkpoint(path, optimizer_per_layer=1)
    expected = trainer.state()
    assert state.scalars() == json.loads(json.dumps(expected.scalars()))
    for got, want in zip(state.optimizer_arrays, expected.optimizer_arrays):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("weights", ["last", "best"])
def test_a_bomb_in_the_best_set_is_refused_before_inflating_whichever_set_is_asked(trained, weights):
    path, _ = trained
    members = members_of(path)
    del members["best_W0.npy"]
    path.write_bytes(deflated_bomb_zip(members, "best_W0.npy", npy_header((200_000, 256)), 200_000 * 256 * 4 + 128))
    before = path.read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"best_W0 has shape \(200000, 256\), expected \(16, 8\)"):
            load_model(path, weights=weights)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000 and path.read_bytes() == before


def test_a_best_set_missing_an_array_is_refused(trained):
    path, _ = trained
    members = members_of(path)
    del members["best_b1.npy"]
    path.write_bytes(zip_bytes(members))
    with pytest.raises(ModelFileError, match="missing array best_b1"):
        load_model(path)


def test_optimizer_arrays_of_the_wrong_shape_or_count_are_refused(trained):
    path, _ = trained
    members = members_of(path)
    members["opt0.npy"] = _npy(np.zeros((3, 3), np.float32))
    path.write_bytes(zip_bytes(members))
    with pytest.raises(ModelFileError, match=r"opt0 has shape \(3, 3\), expected \(17, 8\)"):
        load_checkpoint(path, optimizer_per_layer=1)
    assert load_model(path).model is not None  # predicting does not need the optimizer's arrays
    with pytest.raises(ModelFileError, match="expected opt0..opt3"):
        load_checkpoint(path, optimizer_per_layer=2)  # e.g. a momentum file continued as adam


@pytest.mark.parametrize("change, message", [
    ({"epoch": 0}, "checkpoint epoch: got 0"),
    ({"best_epoch": 9}, "checkpoint best_epoch: got 9"),
    ({"rngs": {"shuffle": {}, "elsewhere": {}}}, "checkpoint rngs"),
    ({"optimizer": {"lr": "fast"}}, "checkpoint optimizer"),
    ({"best_epoch": None}, "disagree"),
])
def test_a_malformed_checkpoint_is_refused_naming_the_field(trained, change, message):
    path, _ = trained
    members = members_of(path)
    with zipfile.ZipFile(path) as z, z.open("checkpoint.npy") as f:
        values = json.loads(str(np.load(f)))
    members["checkpoint.npy"] = _npy(np.array(json.dumps({**values, **change})))
    path.write_bytes(zip_bytes(members))
    with pytest.raises(ModelFileError, match=message):
        load_checkpoint(path, optimizer_per_layer=1)


def test_a_foreign_generator_state_is_refused_when_continuing(trained):
    path, trainer = trained
    _, state = load_checkpoint(path, optimizer_per_layer=1)
    state.rngs["shuffle"] = {"bit_generator": "MT19937", "state": {"key": [0], "pos": 0}}
    with pytest.raises(ValueError, match="checkpoint rngs shuffle"):
        Trainer(MLP(CONFIG, 1), trainer.config, train=trainer.train, val=trainer.val, resume=state)
