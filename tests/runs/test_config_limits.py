"""Values the config layer refuses for every front end (CLI flags and the dashboard's options)."""

from __future__ import annotations

import pytest

from nn_core.config import ConfigError, ModelConfig, TrainConfig
from runs.config import RunConfig, check_memory


@pytest.mark.parametrize(
    "field, value",
    [
        ("learning_rate", float("inf")),
        ("l1_lambda", float("inf")),
        ("l2_lambda", float("inf")),
        ("decay_rate", float("inf")),
        ("decay_rate", 1.5),
        ("seed", 2**63),
    ],
)
def test_train_config_refuses_non_finite_and_out_of_range_values(field, value):
    with pytest.raises(ConfigError) as error:
        TrainConfig(**{field: value})
    assert error.value.field == field and error.value.value == value


def test_decay_rate_of_one_and_the_largest_seed_are_accepted():
    TrainConfig(decay_rate=1.0, seed=2**63 - 1)


@pytest.mark.parametrize("field", ["hidden_sizes", "input_size", "num_classes"])
def test_model_config_refuses_absurd_widths(field):
    huge = 99999999999999999999999
    with pytest.raises(ConfigError, match=str(huge)) as error:
        ModelConfig(**{field: (huge,) if field == "hidden_sizes" else huge})
    assert error.value.field == field


def test_check_memory_refuses_with_the_estimate_and_the_limit():
    config = RunConfig(model=ModelConfig(hidden_sizes=(100_000, 100_000)))
    with pytest.raises(ConfigError) as error:
        check_memory(config, limit=8 * 10**9)
    assert error.value.field == "hidden_sizes"
    assert "within 8.0 GB" in error.value.expected and "about 205.2 GB" in error.value.expected
    assert error.value.summary == "needs about 205.2 GB, over the limit of 8.0 GB (50% of RAM)"
    check_memory(RunConfig(), limit=8 * 10**9)  # the defaults fit


def test_check_memory_blames_the_batch_size_when_batches_dominate():
    config = RunConfig(model=ModelConfig(hidden_sizes=(8,)), train=TrainConfig(batch_size=50_000))
    with pytest.raises(ConfigError) as error:
        check_memory(config, limit=5 * 10**8)
    assert error.value.field == "batch_size"
