"""The study dialog's fields: several values vary an option, each checked like the options panel checks it."""

from __future__ import annotations

import pytest

from nn_core.config import ConfigError, ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.study_spec import SpecError
from tui.cli import build_parser, study_options
from tui.study_form import SEEDS, build_spec, initial_texts, parse_form, parse_seeds, split


def _texts(**changes: str) -> dict[str, str]:
    texts = initial_texts(RunConfig(data=DataConfig(limit=2000, val_size=1000), train=TrainConfig(epochs=1)))
    texts.update(changes)
    return texts


def test_the_train_options_fill_the_form_with_nothing_varied():
    form = parse_form(_texts())
    assert form.vary == {} and form.configurations == 1
    assert form.fixed["limit"] == "2000" and form.fixed["hidden-layers"] == "1" and form.fixed["lr"] == f"{TrainConfig().learning_rate:g}"
    assert "hidden-sizes" not in form.fixed  # a preset architecture lives in Hidden layers
    assert form.seeds == [0, 1, 2] and form.trials == 3


def test_custom_widths_fill_widths_and_leave_hidden_layers_empty():
    texts = initial_texts(RunConfig(model=ModelConfig(hidden_sizes=(128, 32))))
    assert (texts["layers"], texts["hidden_sizes"]) == ("", "128,32")


def test_comma_lists_vary_options_and_the_trial_count_is_the_grid_times_the_seeds():
    form = parse_form(_texts(layers="0,1,2", optimizer="sgd, momentum", learning_rate="0.01,0.1", seeds="0,5"))
    assert form.vary == {"hidden-layers": ["0", "1", "2"], "optimizer": ["sgd", "momentum"], "lr": ["0.01", "0.1"]}
    assert form.configurations == 12 and form.seeds == [0, 5] and form.trials == 24
    args = form.arguments()
    assert args[args.index("--vary") + 1] == "hidden-layers=0,1,2"
    assert args[-2:] == ["--seeds", "0,5"]
    assert "--limit" in args and "--val-size" in args  # they differ from train's defaults
    assert "--no-l1" not in args and "--dataset" not in args  # the defaults are left out


def test_widths_alternatives_are_separated_by_slashes_as_on_the_command_line():
    form = parse_form(_texts(layers="", hidden_sizes="128,64 / 256"))
    assert form.vary == {"hidden-sizes": ["128,64", "256"]}
    assert "--vary" in form.arguments() and "hidden-sizes=128,64/256" in form.arguments()
    with pytest.raises(ConfigError) as error:
        parse_form(_texts(layers="1", hidden_sizes="128"))
    assert error.value.field == "hidden_sizes"


@pytest.mark.parametrize(
    ("field", "text", "bad"),
    [
        ("optimizer", "sgd,adagrad", "adagrad"),
        ("layers", "0,3", "3"),
        ("learning_rate", "0.1,fast", "fast"),
        ("batch_size", "32,32", "32"),
        ("activation", "relu,,tanh", "relu,,tanh"),
        ("l1", "off,maybe", "maybe"),
    ],
)
def test_a_bad_or_repeated_value_names_its_field_and_value(field, text, bad):
    with pytest.raises(ConfigError) as error:
        parse_form(_texts(**{field: text}))
    assert error.value.field == field and error.value.value == bad


def test_train_subset_all_and_switch_values():
    form = parse_form(_texts(limit="all", l1="off,on"))
    assert form.vary == {"l1": ["off", "on"]} and "limit" not in form.fixed  # all images is the default
    assert build_spec(form).base["data"]["limit"] is None
    with pytest.raises(ConfigError) as error:
        parse_form(_texts(limit="1000,all"))  # `study run --vary limit=` takes numbers only
    assert error.value.field == "limit"


@pytest.mark.parametrize("changes", [
    {},
    {"layers": "0,1,2", "optimizer": "sgd,momentum", "activation": "relu,sigmoid", "seeds": "0,5"},
    {"layers": "", "hidden_sizes": "128,64/32", "l1": "off,on", "learning_rate": "0.01,0.1", "limit": "all"},
    {"batch_size": "16,64", "schedule": "decay,cosine", "decay_rate": "0.9,0.95", "seeds": "2"},
    {"l1": "on", "activation": "tanh", "dataset": "fashion-mnist", "init": "gaussian", "optimizer": "sgd,momentum"},
])
def test_the_equivalent_command_builds_the_same_study(changes):
    """The dialog's "same as: mnist-tui study run ..." line is true: the CLI parses it into the same spec."""
    form = parse_form(_texts(**changes))
    args = build_parser().parse_args(["study", "run", *form.arguments()])
    explicit = {a.dest: getattr(args, a.dest) for a in study_options._train_parser()._actions
                if a.dest != "help" and hasattr(args, a.dest)}
    from_cli = study_options.build_spec(args, explicit)
    assert from_cli.fingerprint() == build_spec(form).fingerprint()


@pytest.mark.parametrize(("text", "seeds"), [("3", [0, 1, 2]), ("1", [0]), ("0,5,9", [0, 5, 9]), (" 4 , 2 ", [4, 2])])
def test_seeds_are_a_count_or_a_list(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "0", "101", "two", "1,-1", "1,1", "3,"])
def test_bad_seeds_are_refused_naming_the_field(text):
    with pytest.raises(ConfigError) as error:
        parse_seeds(text)
    assert error.value.field == SEEDS


def test_split_keeps_single_values_and_drops_surrounding_space():
    assert split("optimizer", " sgd ") == ["sgd"]
    assert split("limit", "") == []


def test_the_form_becomes_the_study_spec_the_command_line_would_build():
    form = parse_form(_texts(layers="0,2", optimizer="sgd,momentum", l1="off,on", seeds="2"))
    spec = build_spec(form, data_dir="/data", name="depth")
    assert spec.vary == {"hidden-layers": [0, 2], "optimizer": ["sgd", "momentum"], "l1": [False, True]}
    assert spec.seeds == [0, 1] and spec.name == "depth"
    assert spec.base["data"] == {**DataConfig(limit=2000, val_size=1000).__dict__, "data_dir": "/data"}
    assert spec.base["train"]["epochs"] == 1
    trials = spec.trials()
    assert len(trials) == 2 * 2 * 2 * 2
    assert {t.config.model.hidden_sizes for t in trials} == {(), (64, 64)}


def test_a_fixed_combination_the_config_refuses_is_an_error_naming_the_option():
    form = parse_form(_texts(limit="59500", val_size="1000,5000"))
    with pytest.raises(SpecError, match="limit.*59500"):
        build_spec(form).trials()
