"""The study dialog's fields as plain data: any option may hold several values, meaning "vary it".

Each Train option is one text field. One value keeps the option fixed; a comma list (`sgd,momentum`,
`0,1,2`) varies it — except Widths, whose values are themselves comma lists, so its alternatives
are separated by `/` (`128,64/256`), as `study run --vary hidden-sizes=128,64/256` writes them. Seeds take a count (`3` = seeds 0, 1, 2) or a list (`0,5,9`).
Each value is checked with the parser the options panel uses, and the form is turned into the
`study run` flags (`--vary NAME=V1,V2`), so the dashboard and the command line build the same study.
Pure functions: the dialog (tui/dialogs/study_dialog.py) only shows what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from nn_core.config import PRESET_HIDDEN, ConfigError
from runs.config import RunConfig
from runs.study_spec import StudySpec, apply_params
from tui.widgets.options_panel import INPUT_PARSERS, OPTIONS, SELECT_CHOICES

FLAG = {
    "dataset": "dataset", "limit": "limit", "val_size": "val-size", "normalization": "normalization",
    "layers": "hidden-layers", "hidden_sizes": "hidden-sizes", "activation": "activation", "init": "init",
    "optimizer": "optimizer", "momentum": "momentum", "learning_rate": "lr", "schedule": "schedule",
    "decay_rate": "decay-rate", "epochs": "epochs", "batch_size": "batch-size", "l1": "l1",
    "l1_lambda": "l1-lambda", "l2_lambda": "l2-lambda",
}
"""The `train` flag (without --) of each option field: the names `--vary` takes."""
FIELDS = tuple(FLAG)
SEEDS = "seeds"
MAX_SEEDS = 100
DEFAULT_SEEDS = 3
"""Seeds per configuration to begin with: one run says little (seeds 0-3 of 784-64-10 spread 0.23 points)."""
LAYER_PRESETS = tuple(str(n) for n in PRESET_HIDDEN)
SWITCH = {"off": False, "on": True}


def separator(field: str) -> str:
    return "/" if field == "hidden_sizes" else ","


def choices(field: str) -> tuple[str, ...]:
    """The values a choice field accepts (empty for free-form fields)."""
    if field == "layers":
        return LAYER_PRESETS
    if field == "l1":
        return tuple(SWITCH)
    return tuple(value for _, value in SELECT_CHOICES.get(field, ()))


def _number(value: float) -> str:
    return f"{value:g}"


def initial_texts(config: RunConfig) -> dict[str, str]:
    """The fields filled with `config` (the Train tab's options): one value each, nothing varied yet.

    A preset architecture goes in Hidden layers with Widths empty; custom widths the other way round.
    """
    data, model, train = config.data, config.model, config.train
    preset = next((str(n) for n, sizes in PRESET_HIDDEN.items() if sizes == model.hidden_sizes), "")
    return {
        "dataset": data.dataset, "limit": "" if data.limit is None else str(data.limit),
        "val_size": str(data.val_size), "normalization": data.normalization,
        "layers": preset, "hidden_sizes": "" if preset else ",".join(map(str, model.hidden_sizes)),
        "activation": model.activation, "init": model.init, "optimizer": train.optimizer,
        "momentum": _number(train.momentum), "learning_rate": _number(train.learning_rate),
        "schedule": train.schedule, "decay_rate": _number(train.decay_rate), "epochs": str(train.epochs),
        "batch_size": str(train.batch_size), "l1": "on" if train.l1 else "off",
        "l1_lambda": _number(train.l1_lambda), "l2_lambda": _number(train.l2_lambda),
        SEEDS: str(DEFAULT_SEEDS),
    }


def split(field: str, text: str) -> list[str]:
    """The values written in a field; raises ConfigError on an empty item or a repeated value."""
    items = [item.strip() for item in text.split(separator(field))]
    if len(items) > 1 and any(not item for item in items):
        raise ConfigError(field, text, f"values separated by '{separator(field)}' with none left empty")
    items = [item for item in items if item]
    normalised = [item.replace(" ", "") for item in items]
    repeated = next((item for i, item in enumerate(normalised) if item in normalised[:i]), None)
    if repeated is not None:
        raise ConfigError(field, repeated, "each value once (it is repeated)")
    return normalised


def check(field: str, item: str) -> Any:
    """One value of a field, parsed as the options panel would; raises ConfigError."""
    allowed = choices(field)
    if allowed:
        if item not in allowed:
            raise ConfigError(field, item, "one of " + ", ".join(allowed))
        return SWITCH[item] if field == "l1" else item
    if field == "limit" and item.lower() == "all":
        return None
    return INPUT_PARSERS[field](field, item)


def typed(field: str, item: str) -> Any:
    """The value as a StudySpec holds it (`check`ed, hidden-layers a number, widths a list)."""
    value = check(field, item)
    if field == "layers":
        return int(value)
    if field == "hidden_sizes":
        return list(value)
    return value


def parse_seeds(text: str) -> list[int]:
    """`3` -> [0, 1, 2]; `0,5,9` -> [0, 5, 9]; raises ConfigError naming the seeds field."""
    items = split(SEEDS, text)
    if not items:
        raise ConfigError(SEEDS, text, "a number of seeds such as 3, or seeds such as 0,5,9")
    try:
        numbers = [int(item) for item in items]
    except ValueError:
        raise ConfigError(SEEDS, text, "whole numbers: a count such as 3, or seeds such as 0,5,9") from None
    if len(numbers) == 1 and "," not in text:
        if not 1 <= numbers[0] <= MAX_SEEDS:
            raise ConfigError(SEEDS, text, f"a count from 1 to {MAX_SEEDS} (or a list such as 0,5,9)")
        return list(range(numbers[0]))
    if any(n < 0 for n in numbers):
        raise ConfigError(SEEDS, text, "seeds >= 0")
    return numbers


@dataclass(frozen=True)
class StudyForm:
    """A parsed form: `fixed` options (one value), `vary` options (two or more), `seeds`.

    Values are kept as the texts the user typed (normalised), keyed by `train` flag name, ready
    for `--flag VALUE` and `--vary flag=V1,V2`.
    """

    fixed: dict[str, str]
    vary: dict[str, list[str]]
    seeds: list[int]

    @property
    def configurations(self) -> int:
        return prod(len(values) for values in self.vary.values())

    @property
    def trials(self) -> int:
        return self.configurations * len(self.seeds)

    def arguments(self) -> list[str]:
        """The equivalent `mnist-tui study run` arguments: fixed flags that differ from `train`'s
        defaults, then --vary, then --seeds."""
        defaults = {FLAG[field]: text for field, text in initial_texts(RunConfig()).items() if field in FLAG}
        args: list[str] = []
        for flag, value in self.fixed.items():
            if value == defaults.get(flag):
                continue
            if flag == "l1":
                args.append("--l1" if value == "on" else "--no-l1")
            else:
                args += [f"--{flag}", value]
        for flag, values in self.vary.items():
            joined = "/".join(values) if flag == FLAG["hidden_sizes"] else ",".join(values)
            args += ["--vary", f"{flag}={joined}"]
        seeds = self.seeds
        args += ["--seeds", str(len(seeds)) if seeds == list(range(len(seeds))) else ",".join(map(str, seeds))]
        return args


def build_spec(form: StudyForm, *, data_dir: str | None = None, name: str = "") -> StudySpec:
    """The StudySpec of a parsed form: fixed values make the base config, lists are the grid.

    Raises:
        SpecError: a value the run config refuses in combination (naming the flag and value).
        ConfigError: the fixed values together make no valid config (e.g. a subset larger than the data).
    """
    field_of = {flag: field for field, flag in FLAG.items()}
    fixed = {flag: typed(field_of[flag], text) for flag, text in form.fixed.items()}
    base = apply_params(RunConfig().to_dict(), fixed).to_dict()
    base["data"]["data_dir"] = data_dir
    vary = {flag: [typed(field_of[flag], text) for text in texts] for flag, texts in form.vary.items()}
    return StudySpec(base=base, vary=vary, seeds=list(form.seeds), name=name)


def parse_form(texts: dict[str, str]) -> StudyForm:
    """Check every field; raises ConfigError naming the first bad field and value.

    An empty field keeps its default, except Train subset (empty = all images). Hidden layers
    and Widths are two ways to give the architecture: fill in one of them.
    """
    fixed: dict[str, str] = {}
    vary: dict[str, list[str]] = {}
    for field in FIELDS:
        items = split(field, texts.get(field, ""))
        for item in items:
            check(field, item)
        if field == "limit" and len(items) > 1 and any(item.lower() == "all" for item in items):
            raise ConfigError(field, texts[field], "numbers of images when several are given (all cannot be varied)")
        if len(items) == 1:
            if not (field == "limit" and items[0].lower() == "all"):  # all images: the default
                fixed[FLAG[field]] = items[0]
        elif items:
            vary[FLAG[field]] = items
    if texts.get("layers", "").strip() and texts.get("hidden_sizes", "").strip():
        raise ConfigError("hidden_sizes", texts["hidden_sizes"], "empty when Hidden layers is given (use one of the two)")
    return StudyForm(fixed, vary, parse_seeds(texts.get(SEEDS, "")))


def label(field: str) -> str:
    return "Seeds" if field == SEEDS else OPTIONS[field].label
