"""A study's question from the command line or a TOML file, with every value checked exactly as `train` checks it.

`--vary NAME=V1,V2` names any `train` option by its flag; each value goes through that flag's own
argparse type and choices (built by `train_cmd.add_options`), so `--vary lr=0` fails with the
message `train --lr 0` gives. Values are separated by commas, except for `hidden-sizes` whose
values are themselves comma lists: they are separated by `/` (`--vary hidden-sizes=128,64/256`).
A single `kind:low..high` value is a range for random search (`--vary lr=log:0.001..0.3 --random 20`).

The spec file holds the same (see README "Studies"):

    name = "depth x optimizer"
    seeds = 3                 # or [0, 5, 9]
    random = 20               # points drawn from the ranges
    preset = "original"       # optional: start from a preset's grid
    [fixed]                   # train flags that stay fixed
    epochs = 2
    [vary]                    # lists are grids, "kind:a..b" strings are ranges
    hidden-layers = [0, 1, 2]
    lr = "log:0.001..0.3"

Fixed options given on the command line override the file's; `--vary` and `--seeds` too.
"""

from __future__ import annotations

import argparse
from functools import cache
from typing import Any

from runs.study_spec import (OPTIONS, PRESETS, RANGE_KINDS, Range, SpecError, StudySpec, preset,
                             seeds_from_text, read_toml, value_text)
from tui.cli import train_cmd

LIST_SEPARATOR = {"hidden-sizes": "/"}
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
SPEC_KEYS = ("name", "seeds", "random", "random-seed", "preset", "fixed", "vary")


@cache
def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mnist-tui study", add_help=False, exit_on_error=False)
    train_cmd.add_options(parser)
    return parser


def _actions() -> dict[str, argparse.Action]:
    return {s[2:]: a for a in _train_parser()._actions for s in a.option_strings if s.startswith("--") and not s.startswith("--no-")}


def train_defaults() -> argparse.Namespace:
    return _train_parser().parse_args([])


def check_known(flag: str, where: str = "--vary") -> argparse.Action:
    """The `train` action of a flag a study can vary; SpecError naming it otherwise."""
    action = _actions().get(flag)
    if action is None or flag not in OPTIONS:
        hint = " (use --seeds)" if flag == "seed" else " (it stays fixed)" if action is not None else ""
        raise SpecError(f"{where}: unknown option {flag!r}{hint}; expected one of {', '.join(OPTIONS)}")
    return action


def parse_value(flag: str, text: str, where: str = "--vary") -> Any:
    """One value of `flag` from text, checked by the flag's `train` type and choices; SpecError if bad."""
    action = check_known(flag, where)
    if isinstance(action, argparse.BooleanOptionalAction):
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise SpecError(f"{where} {flag}: got {text!r}, expected true or false")
    try:
        value = action.type(text) if action.type else text
    except (argparse.ArgumentTypeError, ValueError) as error:
        detail = str(error) if isinstance(error, argparse.ArgumentTypeError) else f"got {text!r}, expected a whole number"
        raise SpecError(f"{where} {flag}: {detail}") from None
    if action.choices is not None and value not in action.choices:
        raise SpecError(f"{where} {flag}: got {text!r}, expected one of {', '.join(map(str, action.choices))}")
    return value


def parse_vary(item: str) -> tuple[str, list[Any] | Range]:
    """`NAME=V1,V2` -> (flag, typed values) or (flag, Range) for `NAME=kind:low..high`."""
    flag, sep, rest = item.partition("=")
    flag = flag.strip().removeprefix("--")
    if not sep or not flag:
        raise SpecError(f"--vary: got {item!r}, expected NAME=V1,V2,... (e.g. optimizer=sgd,momentum)")
    check_known(flag)
    if rest.split(":", 1)[0] in RANGE_KINDS and ".." in rest:
        return flag, Range.parse(flag, rest)
    texts = [t.strip() for t in rest.split(LIST_SEPARATOR.get(flag, ","))]
    if not rest.strip() or any(t == "" for t in texts) and flag != "hidden-sizes":
        raise SpecError(f"--vary {flag}: got {rest!r}, expected a list of values such as {flag}=a,b (no empty values)")
    return flag, [parse_value(flag, t) for t in texts]


def _fixed_tokens(fixed: dict[str, Any], where: str) -> list[str]:
    """The `[fixed]` table as train flags, e.g. {"epochs": 2, "l1": true} -> ["--epochs", "2", "--l1"]."""
    actions = _actions()
    tokens: list[str] = []
    for flag, value in fixed.items():
        action = actions.get(flag)
        if action is None or flag in ("help",):
            raise SpecError(f"{where}: [fixed] has unknown option {flag!r}; expected a train flag such as epochs, lr")
        if isinstance(action, argparse.BooleanOptionalAction):
            if not isinstance(value, bool):
                raise SpecError(f"{where}: [fixed] {flag}: got {value!r}, expected true or false")
            tokens.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            tokens += [f"--{flag}", value_text(value)]
    return tokens


def read_spec_file(path: str) -> dict[str, Any]:
    """The spec file's tables, checked: unknown keys and bad values name the file and the key."""
    raw = read_toml(path)
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise SpecError(f"{path}: unknown key {unknown[0]!r}; expected some of {', '.join(SPEC_KEYS)}")
    for table in ("fixed", "vary"):
        if not isinstance(raw.get(table, {}), dict):
            raise SpecError(f"{path}: {table} must be a table ([{table}])")
    vary: dict[str, list[Any] | Range] = {}
    for flag, values in raw.get("vary", {}).items():
        where = f"{path}: [vary]"
        check_known(flag, where)
        if isinstance(values, str) and values.split(":", 1)[0] in RANGE_KINDS:
            vary[flag] = Range.parse(flag, values)
        elif isinstance(values, list):
            vary[flag] = [parse_value(flag, value_text(v), where) for v in values]
        else:
            raise SpecError(f"{where} {flag}: got {values!r}, expected a list of values or a range such as \"log:0.001..0.3\"")
    out: dict[str, Any] = {"vary": vary, "fixed_tokens": _fixed_tokens(raw.get("fixed", {}), str(path))}
    if "seeds" in raw:
        seeds = raw["seeds"]
        if isinstance(seeds, list):  # a list is the seeds themselves, even with one element
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in seeds):
                raise SpecError(f"{path}: seeds: got {seeds!r}, expected whole numbers >= 0 or a count")
            out["seeds"] = list(seeds)
        elif isinstance(seeds, int) and not isinstance(seeds, bool):
            out["seeds"] = seeds_from_text(str(seeds))
        else:
            raise SpecError(f"{path}: seeds: got {seeds!r}, expected a count such as 3 or a list such as [0, 5, 9]")
    for key in ("random", "random-seed"):
        if key in raw:
            if isinstance(raw[key], bool) or not isinstance(raw[key], int) or raw[key] < (1 if key == "random" else 0):
                raise SpecError(f"{path}: {key}: got {raw[key]!r}, expected a whole number >= {1 if key == 'random' else 0}")
            out[key] = raw[key]
    for key in ("name", "preset"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise SpecError(f"{path}: {key}: got {raw[key]!r}, expected text")
            out[key] = raw[key]
    return out


def build_spec(args: argparse.Namespace, explicit: dict[str, Any]) -> StudySpec:
    """The StudySpec of `study run`: spec file, then preset, then command-line flags (later wins).

    `explicit` holds only the train flags given on the command line (by argparse dest).
    Raises SpecError (or ConfigError from the fixed options) with a user-ready message.
    """
    from_file = read_spec_file(args.spec) if args.spec else {"vary": {}, "fixed_tokens": []}
    try:
        fixed = _train_parser().parse_args(from_file["fixed_tokens"])
    except argparse.ArgumentError as error:
        raise SpecError(f"{args.spec}: [fixed] {error}") from None
    for dest, value in explicit.items():
        setattr(fixed, dest, value)
    base = train_cmd.build_config(fixed)
    vary: dict[str, list[Any] | Range] = dict(from_file["vary"])
    preset_name = args.preset or from_file.get("preset")
    if preset_name:
        if preset_name not in PRESETS:
            raise SpecError(f"--preset: got {preset_name!r}, expected one of {', '.join(PRESETS)}")
        vary = {**PRESETS[preset_name], **vary}
    given: set[str] = set()
    for item in args.vary or []:
        flag, values = parse_vary(item)
        if flag in given:
            raise SpecError(f"--vary {flag}: given twice; list all its values in one --vary {flag}=V1,V2")
        given.add(flag)
        vary[flag] = values
    seeds = seeds_from_text(args.seeds) if args.seeds else from_file.get("seeds")
    if seeds is None:
        seeds = preset(preset_name, base).seeds if preset_name else [base.train.seed]
    _refuse_fixed_and_varied(explicit, vary)
    return StudySpec(
        base=base.to_dict(),
        vary={k: v for k, v in vary.items() if not isinstance(v, Range)},
        ranges={k: v for k, v in vary.items() if isinstance(v, Range)},
        random=args.random if args.random is not None else from_file.get("random"),
        random_seed=args.random_seed if args.random_seed is not None else from_file.get("random-seed", 0),
        seeds=seeds,
        name=args.name or from_file.get("name") or preset_name or "",
    )


def _refuse_fixed_and_varied(explicit: dict[str, Any], vary: dict[str, Any]) -> None:
    actions = _actions()
    for flag in vary:
        action = actions.get(flag)
        if action is not None and action.dest in explicit:
            raise SpecError(f"--vary {flag}: --{flag} is also given as a fixed option; give it one way only")
