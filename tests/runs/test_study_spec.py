"""A study spec expands into stable, distinct trials and refuses what it cannot run."""

from __future__ import annotations

import pytest

from runs.config import DataConfig, RunConfig
from runs.study_spec import Range, SpecError, StudySpec, preset, seeds_from_text
from nn_core.config import TrainConfig

BASE = RunConfig(data=DataConfig(limit=500), train=TrainConfig(epochs=1)).to_dict()


def test_grid_times_seeds_with_stable_keys_and_configs():
    spec = StudySpec(base=BASE, vary={"optimizer": ["sgd", "momentum"], "lr": [0.01, 0.1]}, seeds=[0, 5])
    trials = spec.trials()
    assert len(trials) == 8 and len({t.key for t in trials}) == 8
    assert [t.key for t in trials] == [t.key for t in StudySpec.from_dict(spec.to_dict()).trials()]
    first = trials[0]
    assert first.key == "lr=0.01 optimizer=sgd seed=0" and first.config_key == "lr=0.01 optimizer=sgd"
    assert first.config.train.learning_rate == 0.01 and first.config.train.optimizer == "sgd"
    assert first.config.train.seed == 0 and trials[1].config.train.seed == 5
    assert first.config.data.limit == 500


def test_original_preset_runs_a_network_without_hidden_layers_once_not_once_per_activation():
    spec = preset("original", BASE)
    trials = spec.trials()
    configs = {t.config_key for t in trials}
    assert len(configs) == 10 and len(trials) == 30  # (2 + 4 + 4 configurations) x 3 seeds
    assert "hidden-layers=0 optimizer=sgd" in configs
    assert all("activation" in t.params for t in trials if t.params["hidden-layers"] > 0)


def test_random_search_draws_the_same_points_for_the_same_seed_inside_the_range():
    def keys(seed):
        spec = StudySpec(base=BASE, ranges={"lr": Range.parse("lr", "log:0.001..0.3")}, random=6, random_seed=seed)
        return [t.key for t in spec.trials()]

    assert keys(1) == keys(1) and keys(1) != keys(2)
    lrs = [float(k.split()[0].removeprefix("lr=")) for k in keys(1)]
    assert all(0.001 <= lr <= 0.3 and lr == float(f"{lr:.4g}") for lr in lrs) and len(set(lrs)) == 6
    spec = StudySpec(base=BASE, ranges={"batch-size": Range.parse("batch-size", "int:8..16")}, random=20)
    assert all(8 <= t.config.train.batch_size <= 16 for t in spec.trials())


def test_fingerprint_ignores_the_name_but_not_the_question():
    a = StudySpec(base=BASE, vary={"optimizer": ["sgd", "momentum"]}, name="a")
    b = StudySpec(base=BASE, vary={"optimizer": ["sgd", "momentum"]}, name="b")
    c = StudySpec(base=BASE, vary={"optimizer": ["momentum", "sgd"]})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    reseeded = {**BASE, "train": {**BASE["train"], "seed": 7}}  # the base seed is not used: seeds are
    assert StudySpec(base=reseeded, vary=a.vary).fingerprint() == a.fingerprint()


@pytest.mark.parametrize("kwargs, message", [
    ({"vary": {"colour": ["red"]}}, "unknown option 'colour'"),
    ({"vary": {"seed": [1, 2]}}, "use --seeds"),
    ({"vary": {"optimizer": []}}, "--vary optimizer: the list of values is empty"),
    ({"vary": {"optimizer": ["sgd", "sgd"]}}, "--vary optimizer: 'sgd' is listed twice"),
    ({"vary": {"hidden-layers": [0], "hidden-sizes": [[8]]}}, "set the same thing"),
    ({"seeds": [1, 1]}, "--seeds: seed 1 is listed twice"),
    ({"ranges": {"lr": Range("log", 0.001, 0.1)}}, "needs --random N"),
    ({"ranges": {"epochs": Range("lin", 1, 5)}, "random": 3}, "expected an int:low..high range"),
    ({"ranges": {"optimizer": Range("lin", 1, 5)}, "random": 3}, "a range is only possible for"),
])
def test_bad_specs_are_refused_naming_the_option(kwargs, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        StudySpec(base=BASE, **kwargs)


def test_a_value_the_config_refuses_names_the_flag_and_value():
    spec = StudySpec(base=BASE, vary={"momentum": [0.5, 1.5]})
    with pytest.raises(SpecError, match=r"--vary momentum: got '1.5', expected a number in \[0, 1\)"):
        spec.trials()


@pytest.mark.parametrize("text, expected", [("3", [0, 1, 2]), ("0,5,9", [0, 5, 9]), ("7,", None), ("x", None), ("0", None)])
def test_seeds_from_text(text, expected):
    if expected is None:
        with pytest.raises(SpecError, match="--seeds"):
            seeds_from_text(text)
    else:
        assert seeds_from_text(text) == expected


@pytest.mark.parametrize("text", ["log:0..1", "lin:2..1", "exp:1..2", "log:0.1", "int:a..b"])
def test_bad_ranges_are_refused(text):
    with pytest.raises(SpecError, match=f"--vary lr: got '{text}'|--vary lr: got"):
        Range.parse("lr", text)
