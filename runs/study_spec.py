"""A study: which `train` options stay fixed, which vary (a grid, or ranges for random search), and which seeds.

The question is written once as a `StudySpec`; `trials()` expands it into `Trial`s, each an ordinary
run config. Options are named by their `train` flag (`hidden-layers`, `lr`, `optimizer`, ...) so a
study reads like the commands a user would have typed. Values here are already typed (the command
line and the dashboard check text exactly as `train` does, see tui/cli/study_options.py); this module
applies them to a `RunConfig`, whose own checks then hold for every trial.

A trial's key is a stable text id of its varied values and seed (`hidden-layers=1 optimizer=sgd
seed=0`): the same spec always gives the same keys, which is what lets a study resume. A varied
option that cannot change a trial's config (the activation of a network without hidden layers) is
left out of that trial's values, so such trials are run once, not once per value, and the marginal
effect of the option is measured only where it applies.

Random search draws `random` points from the ranges with a generator seeded by `random_seed`, so
the same spec draws the same points (and keys) again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nn_core.config import PRESET_HIDDEN, ConfigError
from runs.config import RunConfig

MAX_SEEDS = 1000


class SpecError(ValueError):
    """A study spec that cannot be used; str() is a user-ready message naming the option and value."""


@dataclass(frozen=True)
class Option:
    """One `train` flag a study may vary: where its value goes in a RunConfig dict."""

    flag: str
    section: str
    field: str
    convert: Callable[[Any], Any] = lambda value: value


def _lr_decay(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ConfigError("lr-decay", value, "true or false")
    return "decay" if value else "constant"


def _hidden_layers(value: Any) -> Any:
    if isinstance(value, bool) or value not in PRESET_HIDDEN:
        raise ConfigError("hidden-layers", value, "one of " + ", ".join(map(str, PRESET_HIDDEN)))
    return list(PRESET_HIDDEN[value])


OPTIONS: dict[str, Option] = {o.flag: o for o in (
    Option("hidden-layers", "model", "hidden_sizes", _hidden_layers),
    Option("hidden-sizes", "model", "hidden_sizes", list),
    Option("activation", "model", "activation"),
    Option("init", "model", "init"),
    Option("optimizer", "train", "optimizer"),
    Option("momentum", "train", "momentum"),
    Option("lr", "train", "learning_rate"),
    Option("schedule", "train", "schedule"),
    Option("lr-decay", "train", "schedule", _lr_decay),
    Option("decay-rate", "train", "decay_rate"),
    Option("epochs", "train", "epochs"),
    Option("batch-size", "train", "batch_size"),
    Option("l1", "train", "l1"),
    Option("l1-lambda", "train", "l1_lambda"),
    Option("l2-lambda", "train", "l2_lambda"),
    Option("dataset", "data", "dataset"),
    Option("normalization", "data", "normalization"),
    Option("val-size", "data", "val_size"),
    Option("limit", "data", "limit"),
)}
"""Every `train` flag a study can vary. `seed` is varied with `seeds`, `data-dir` stays fixed."""

CONFLICTS = (("hidden-layers", "hidden-sizes"), ("lr-decay", "schedule"))
"""Pairs that set the same field: varying both would make one silently override the other."""

RANGE_KINDS = ("log", "lin", "int")
INT_OPTIONS = {"batch-size", "epochs", "limit", "val-size"}
RANGE_OPTIONS = {"lr", "momentum", "decay-rate", "l1-lambda", "l2-lambda", *INT_OPTIONS}
"""Options a range can vary: the numeric ones; whole-number options need an `int:` range."""


@dataclass(frozen=True)
class Range:
    """`log:0.001..0.3` (log-uniform), `lin:a..b` (uniform) or `int:a..b` (whole numbers, both ends included)."""

    kind: str
    low: float
    high: float

    @classmethod
    def parse(cls, flag: str, text: str) -> "Range":
        kind, sep, bounds = str(text).partition(":")
        low_text, dots, high_text = bounds.partition("..")
        expected = f"a range such as log:0.001..0.3, lin:0.1..0.9 or int:16..256 (kind one of {', '.join(RANGE_KINDS)})"
        if not sep or not dots or kind not in RANGE_KINDS:
            raise SpecError(f"--vary {flag}: got {text!r}, expected {expected}")
        try:
            low, high = (int(low_text), int(high_text)) if kind == "int" else (float(low_text), float(high_text))
        except ValueError:
            raise SpecError(f"--vary {flag}: got {text!r}, expected {expected}") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high or (kind == "log" and low <= 0):
            raise SpecError(f"--vary {flag}: got {text!r}, expected a low end below the high end"
                            + (" and both above 0 for log" if kind == "log" else ""))
        return cls(kind, low, high)

    def text(self) -> str:
        return f"{self.kind}:{self.low:g}..{self.high:g}"

    def draw(self, rng: np.random.Generator) -> float | int:
        """One point; real values are rounded to 4 significant digits so keys stay readable."""
        if self.kind == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.kind == "log":
            value = float(np.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        else:
            value = float(rng.uniform(self.low, self.high))
        return min(max(float(f"{value:.4g}"), self.low), self.high)


@dataclass(frozen=True)
class Trial:
    """One run of a study: `params` are the varied values (by flag) that apply to it, `config` the full RunConfig."""

    key: str
    params: dict[str, Any]
    seed: int
    config: RunConfig

    @property
    def config_key(self) -> str:
        """The key without the seed: trials sharing it are one configuration of the leaderboard."""
        return params_key(self.params)


def value_text(value: Any) -> str:
    """A value as the user writes it (`true`, `0.01`, `128,64`): stable across runs of the program."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(value_text(v) for v in value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
    return str(value)


def params_key(params: dict[str, Any]) -> str:
    return " ".join(f"{flag}={value_text(params[flag])}" for flag in sorted(params))


def trial_key(params: dict[str, Any], seed: int) -> str:
    return " ".join(filter(None, (params_key(params), f"seed={seed}")))


def effective(config: RunConfig) -> str:
    """The config as JSON with the settings that cannot change training blanked: the activation of a
    network without hidden layers, the momentum of plain SGD, the decay rate of a schedule that is
    not `decay`, the L1 lambda with L1 off."""
    values = config.to_dict()
    model, train = values["model"], values["train"]
    if not model["hidden_sizes"]:
        model["activation"] = None
    if train["optimizer"] == "sgd":
        train["momentum"] = None
    if train["schedule"] != "decay":
        train["decay_rate"] = None
    if not train["l1"]:
        train["l1_lambda"] = None
    return json.dumps(values, sort_keys=True)


MASKABLE = {"activation", "momentum", "decay-rate", "l1-lambda"}
"""The options `effective` can blank: only these may be irrelevant to a trial."""


def apply_params(base: RunConfig | dict[str, Any], params: dict[str, Any]) -> RunConfig:
    """`base` with each varied value applied by its flag.

    Raises:
        SpecError: naming the flag and value, when the resulting config is invalid.
    """
    values = json.loads(json.dumps(base.to_dict() if isinstance(base, RunConfig) else base))
    for flag, value in params.items():
        option = OPTIONS[flag]
        try:
            values[option.section][option.field] = option.convert(value)
        except ConfigError as error:
            raise SpecError(f"--vary {flag}: got {value_text(value)!r}, expected {error.expected}") from None
    try:
        return RunConfig.from_dict(values)
    except ConfigError as error:
        flags = [f for f in params if OPTIONS[f].field == error.field] or [error.field]
        shown = value_text(params[flags[0]]) if flags[0] in params else value_text(error.value)
        raise SpecError(f"--vary {flags[0]}: got {shown!r}, expected {error.expected}") from None


@dataclass(frozen=True)
class StudySpec:
    """The study's question. `base` is the RunConfig dict of everything fixed (its seed is ignored).

    `vary` maps a flag to its grid values (in the order given); `ranges` maps a flag to a Range for
    random search, used when `random` (the number of points) is set. Every configuration runs once
    per seed in `seeds`.
    """

    base: dict[str, Any]
    vary: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    random: int | None = None
    random_seed: int = 0
    seeds: list[int] = field(default_factory=lambda: [0])
    name: str = ""

    def __post_init__(self) -> None:
        for flag in [*self.vary, *self.ranges]:
            if flag not in OPTIONS:
                hint = " (use --seeds to repeat with several seeds)" if flag == "seed" else ""
                raise SpecError(f"--vary: unknown option {flag!r}{hint}; expected one of {', '.join(OPTIONS)}")
        for flag, values in self.vary.items():
            if not values:
                raise SpecError(f"--vary {flag}: the list of values is empty")
            texts = [value_text(v) for v in values]
            duplicates = sorted({t for t in texts if texts.count(t) > 1})
            if duplicates:
                raise SpecError(f"--vary {flag}: {duplicates[0]!r} is listed twice")
        for flag in self.ranges:
            if flag in self.vary:
                raise SpecError(f"--vary {flag}: given both as a list and as a range")
            if flag not in RANGE_OPTIONS:
                raise SpecError(f"--vary {flag}: a range is only possible for {', '.join(sorted(RANGE_OPTIONS))}")
            if flag in INT_OPTIONS and self.ranges[flag].kind != "int":
                raise SpecError(f"--vary {flag}: got {self.ranges[flag].text()!r}, expected an int:low..high range "
                                "(it takes whole numbers)")
        if self.ranges and not self.random:
            raise SpecError("--vary with a range (e.g. lr=log:0.001..0.3) needs --random N, the number of points to draw")
        if self.random is not None and (not self.ranges or self.random < 1):
            raise SpecError(f"--random: got {self.random!r}, expected a whole number >= 1 together with a range in --vary")
        varied = set(self.vary) | set(self.ranges)
        for a, b in CONFLICTS:
            if a in varied and b in varied:
                raise SpecError(f"--vary: {a} and {b} set the same thing; vary only one of them")
        if not self.seeds:
            raise SpecError("--seeds: the list of seeds is empty")
        if len(set(self.seeds)) != len(self.seeds):
            raise SpecError(f"--seeds: seed {next(s for s in self.seeds if self.seeds.count(s) > 1)} is listed twice")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise SpecError(f"--seeds: got {self.seeds!r}, expected whole numbers >= 0")
        RunConfig.from_dict(self.base)  # a bad base fails here with a ConfigError

    # ------------------------------------------------------------- expansion
    def points(self) -> list[dict[str, Any]]:
        """Every combination of varied values (grid x random points), before seeds, in a stable order."""
        grid = [dict(zip(self.vary, combo)) for combo in itertools.product(*self.vary.values())]
        if not self.ranges:
            return grid
        rng = np.random.default_rng(self.random_seed)
        draws = [{flag: r.draw(rng) for flag, r in self.ranges.items()} for _ in range(self.random or 0)]
        return [{**g, **d} for g in grid for d in draws]

    def trials(self) -> list[Trial]:
        """One Trial per distinct configuration and seed; raises SpecError for a value the config refuses."""
        out: list[Trial] = []
        seen: set[str] = set()
        for point in self.points():
            params = self._relevant(point)
            for seed in self.seeds:
                key = trial_key(params, seed)
                if key in seen:
                    continue
                seen.add(key)
                values = apply_params(self.base, params).to_dict()
                values["train"]["seed"] = seed
                config = RunConfig.from_dict(values)
                out.append(Trial(key=key, params=params, seed=seed, config=config))
        return out

    def _relevant(self, point: dict[str, Any]) -> dict[str, Any]:
        """`point` without grid options that give the same config whatever their value (e.g. activation at 0 layers)."""
        params = dict(point)
        for flag, values in self.vary.items():
            if len(values) < 2 or flag not in MASKABLE:
                continue
            configs = {effective(apply_params(self.base, {**params, flag: v})) for v in values}
            if len(configs) == 1:
                del params[flag]
        return params

    def count(self) -> int:
        """The number of trials (without building them all when the grid is huge)."""
        size = math.prod(len(v) for v in self.vary.values()) * (self.random or 1) * len(self.seeds)
        return len(self.trials()) if size <= 20000 else size

    @property
    def varied(self) -> list[str]:
        return [*self.vary, *self.ranges]

    # ------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "vary": {k: list(v) for k, v in self.vary.items()},
            "ranges": {k: r.text() for k, r in self.ranges.items()},
            "random": self.random,
            "random_seed": self.random_seed,
            "seeds": list(self.seeds),
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "StudySpec":
        return cls(
            base=values["base"],
            vary={k: list(v) for k, v in values.get("vary", {}).items()},
            ranges={k: Range.parse(k, t) for k, t in values.get("ranges", {}).items()},
            random=values.get("random"),
            random_seed=values.get("random_seed", 0),
            seeds=list(values.get("seeds", [0])),
            name=values.get("name", ""),
        )

    def fingerprint(self) -> str:
        """sha256 of the question (everything but the name and the base's unused seed): the same spec run
        again is the same study."""
        question = {k: v for k, v in self.to_dict().items() if k != "name"}
        question["base"] = {**self.base, "train": {k: v for k, v in self.base["train"].items() if k != "seed"}}
        return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


def seeds_from_text(text: str) -> list[int]:
    """`3` -> [0, 1, 2]; `0,5,9` -> [0, 5, 9]."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise SpecError(f"--seeds: got {text!r}, expected a count such as 3 or a list such as 0,5,9") from None
    if len(numbers) == 1 and "," not in str(text):
        if not 1 <= numbers[0] <= MAX_SEEDS:
            raise SpecError(f"--seeds: got {text!r}, expected a count from 1 to {MAX_SEEDS}")
        return list(range(numbers[0]))
    if any(n < 0 for n in numbers):
        raise SpecError(f"--seeds: got {text!r}, expected whole numbers >= 0")
    return numbers


def read_toml(path: str | Path) -> dict[str, Any]:
    """The TOML file at `path` as a dict; SpecError naming the file, line and column on a syntax error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot read the spec file ({getattr(error, 'strerror', None) or error})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML: {_toml_position(str(error), text)}") from None


def _toml_position(message: str, text: str) -> str:
    """tomllib's message with its position always as `line L, column C` (it says `end of document` at the end)."""
    match = re.search(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$", message)
    if match is None:
        return message
    if match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
    else:
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return f"line {line}, column {column}: {message[:match.start()]}"


PRESETS: dict[str, dict[str, list[Any]]] = {
    "original": {"hidden-layers": [0, 1, 2], "optimizer": ["sgd", "momentum"], "activation": ["relu", "sigmoid"]},
}
"""Named grids. `original` is the original project's comparison (see README "Studies" for why these switches)."""

PRESET_SEEDS = 3
"""Seeds per configuration of a preset unless --seeds says otherwise: enough to judge seed noise."""


def preset(name: str, base: RunConfig | dict[str, Any], seeds: list[int] | None = None) -> StudySpec:
    if name not in PRESETS:
        raise SpecError(f"--preset: got {name!r}, expected one of {', '.join(PRESETS)}")
    base_dict = base.to_dict() if isinstance(base, RunConfig) else base
    return StudySpec(base=base_dict, vary={k: list(v) for k, v in PRESETS[name].items()},
                     seeds=seeds if seeds is not None else list(range(PRESET_SEEDS)), name=name)
