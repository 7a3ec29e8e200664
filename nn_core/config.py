"""Frozen configs for the model and its training: a run's settings are `asdict()` away."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("gaussian", "xavier")
OPTIMIZERS = ("sgd", "momentum")
SCHEDULES = ("constant", "decay", "cosine")
PRESET_HIDDEN = {0: (), 1: (64,), 2: (64, 64)}
MAX_WIDTH = 1_000_000
"""Widest layer accepted (inputs, hidden units, classes): a bound on numbers, not on memory, which
nn_core.memory checks against the machine; it keeps absurd values such as 10**23 out of every
computation and of the store."""
MAX_SEED = 2**63 - 1
"""The run store keeps the seed in a signed 64-bit SQLite integer."""


class ConfigError(ValueError):
    """A setting outside its allowed values; `field` names it for the UI and the CLI."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"{field}: got {value!r}, expected {expected}")
        self.field = field
        self.value = value
        self.expected = expected


def _check_choice(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(field, value, "one of " + ", ".join(choices))


def _check_number(
    field: str, value: Any, *, low: float, integer: bool, allow_low: bool, high: float | None = None
) -> None:
    """A finite int (or float) in [low, high] (or (low, high] when not `allow_low`)."""
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(field, value, "an integer" if integer else "a number")
    bound = f">= {low}" if allow_low else f"> {low}"
    if high is not None:
        bound += f" and <= {high}"
    finite = integer or math.isfinite(value)
    if not finite or value < low or (value == low and not allow_low) or (high is not None and value > high):
        raise ConfigError(field, value, f"a {'whole' if integer else 'finite'} number {bound}")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture: 784 inputs, any hidden widths, 10 softmax outputs."""

    hidden_sizes: tuple[int, ...] = (64,)
    activation: str = "relu"
    init: str = "xavier"
    input_size: int = 784
    num_classes: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        for width in self.hidden_sizes:
            _check_number("hidden_sizes", width, low=1, integer=True, allow_low=True, high=MAX_WIDTH)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("init", self.init, INITS)
        _check_number("input_size", self.input_size, low=1, integer=True, allow_low=True, high=MAX_WIDTH)
        _check_number("num_classes", self.num_classes, low=2, integer=True, allow_low=True, high=MAX_WIDTH)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return (self.input_size, *self.hidden_sizes, self.num_classes)

    def describe(self) -> str:
        """Short architecture label such as ``784-64-64-10 relu``."""
        return "-".join(map(str, self.layer_sizes)) + (f" {self.activation}" if self.hidden_sizes else "")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. Defaults reach the original's accuracy in a few epochs (README)."""

    optimizer: str = "momentum"
    momentum: float = 0.9
    learning_rate: float = 0.05
    batch_size: int = 32
    epochs: int = 5
    schedule: str = "cosine"
    decay_rate: float = 0.98
    l1: bool = False
    l1_lambda: float = 1e-5
    l2_lambda: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_number("momentum", self.momentum, low=0.0, integer=False, allow_low=True)
        if self.momentum >= 1.0:
            raise ConfigError("momentum", self.momentum, "a number in [0, 1)")
        _check_number("learning_rate", self.learning_rate, low=0.0, integer=False, allow_low=False)
        _check_number("batch_size", self.batch_size, low=1, integer=True, allow_low=True)
        _check_number("epochs", self.epochs, low=1, integer=True, allow_low=True)
        _check_choice("schedule", self.schedule, SCHEDULES)
        _check_number("decay_rate", self.decay_rate, low=0.0, integer=False, allow_low=False, high=1.0)
        if not isinstance(self.l1, bool):
            raise ConfigError("l1", self.l1, "true or false")
        _check_number("l1_lambda", self.l1_lambda, low=0.0, integer=False, allow_low=True)
        _check_number("l2_lambda", self.l2_lambda, low=0.0, integer=False, allow_low=True)
        _check_number("seed", self.seed, low=0, integer=True, allow_low=True, high=MAX_SEED)


def to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    """Plain JSON-ready dict (tuples become lists)."""
    out = asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def from_dict(cls: type, values: dict[str, Any]):
    """Build `cls` from a dict, refusing unknown keys so a typo is never silently ignored."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(unknown[0], values[unknown[0]], f"a field of {cls.__name__}")
    return cls(**values)
