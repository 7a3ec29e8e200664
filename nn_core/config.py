"""Frozen configs for the model and its training: a run's settings are `to_dict()` away."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("gaussian", "xavier")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw")
DEFAULT_LEARNING_RATES = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adam": 0.003, "adamw": 0.003}
"""Each optimizer's default lr, chosen on validation accuracy (README, Engine)."""
SCHEDULES = ("constant", "decay", "cosine")
PRESET_HIDDEN = {0: (), 1: (64,), 2: (64, 64)}
MAX_WIDTH = 1_000_000
"""Widest layer accepted (inputs, hidden units, classes): a bound on numbers, not on memory, which
nn_core.memory checks against the machine; it keeps absurd values such as 10**23 out of every
computation and of the store."""
MAX_SEED = 2**63 - 1
MAX_SHIFT = 8
"""Largest augmentation shift in pixels (a third of a digit's width)."""
MAX_ROTATE = 45.0
"""Largest augmentation rotation in degrees (beyond it a 6 starts to look like a 9)."""
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
    learning_rate: float | None = None
    """None: the optimizer's default (DEFAULT_LEARNING_RATES), filled in when the config is made."""
    batch_size: int = 32
    epochs: int = 5
    schedule: str = "cosine"
    decay_rate: float = 0.98
    l1: bool = False
    l1_lambda: float = 1e-5
    l2_lambda: float = 0.0
    seed: int = 0
    weight_decay: float = 0.01
    """AdamW's decoupled decay per step, W <- W (1 - lr * weight_decay) (PyTorch's default); other optimizers ignore it."""
    dropout: tuple[float, ...] = ()
    """Dropout rate per hidden layer: () none, one rate for every layer, or one per layer."""
    augment_shift: int = 0
    """Training images shifted by up to this many pixels each way (0: no shift)."""
    augment_rotate: float = 0.0
    """Training images rotated by up to this many degrees each way (0: no rotation)."""
    early_stop: int = 0
    """Stop when the validation loss has not improved for this many epochs (0: never)."""

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.learning_rate is None:
            object.__setattr__(self, "learning_rate", DEFAULT_LEARNING_RATES[self.optimizer])
        object.__setattr__(self, "dropout", tuple(self.dropout) if isinstance(self.dropout, (list, tuple)) else self.dropout)
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
        _check_number("weight_decay", self.weight_decay, low=0.0, integer=False, allow_low=True)
        if not isinstance(self.dropout, tuple):
            raise ConfigError("dropout", self.dropout, "a list of rates")
        for rate in self.dropout:
            _check_number("dropout", rate, low=0.0, integer=False, allow_low=True)
            if rate >= 1.0:
                raise ConfigError("dropout", rate, "a rate in [0, 1)")
        _check_number("augment_shift", self.augment_shift, low=0, integer=True, allow_low=True, high=MAX_SHIFT)
        _check_number("augment_rotate", self.augment_rotate, low=0.0, integer=False, allow_low=True, high=MAX_ROTATE)
        _check_number("early_stop", self.early_stop, low=0, integer=True, allow_low=True)

    @property
    def augments(self) -> bool:
        return bool(self.augment_shift or self.augment_rotate)

    def dropout_rates(self, hidden_layers: int) -> tuple[float, ...]:
        """One rate per hidden layer; ConfigError if the list does not fit the network."""
        rates = self.dropout
        if not any(rates):
            return (0.0,) * hidden_layers
        if not hidden_layers:
            raise ConfigError("dropout", list(rates), "none: a network without hidden layers has no units to drop")
        if len(rates) == 1:
            return rates * hidden_layers
        if len(rates) != hidden_layers:
            raise ConfigError("dropout", list(rates), f"one rate, or one per hidden layer ({hidden_layers})")
        return rates


def to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    """Plain JSON-ready dict (tuples become lists).

    Field by field rather than `dataclasses.asdict`, which deep-copies every value: the fields are
    numbers, text and tuples of numbers, and reading a store of 100,000 runs builds this per run
    (asdict was a quarter of that read's time).
    """
    values = ((f.name, getattr(config, f.name)) for f in fields(config))
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values}


def from_dict(cls: type, values: dict[str, Any]):
    """Build `cls` from a dict, refusing unknown keys so a typo is never silently ignored."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(unknown[0], values[unknown[0]], f"a field of {cls.__name__}")
    return cls(**values)
