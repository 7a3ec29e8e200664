"""A stored run as a `RunRecord`, built from its database rows and checked field by field as it is read.

A store file can come from anywhere (copied, shared, edited by hand), so every value a row
holds is untrusted: JSON that does not parse or has the wrong shape, a config value no run
could have, text in a numeric column, a model path pointing outside the models folder. Such a
row does not stop the reading of the others: it becomes a record whose `problems` name what is
wrong, with its damaged parts replaced by empty values, so lists can show it as damaged while
every other run stays usable.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from runs.config import RunConfig
from runs.owner import Owner
from runs.schema import EPOCH_COLUMNS, STATUSES

MAX_JSON_CHARS = 4_000_000
"""A stored JSON value longer than this is damaged: no run writes one near this size (a config is < 1 kB)."""

ACCURACIES = ("train_acc", "val_acc", "test_acc")


@dataclass(frozen=True)
class RunRecord:
    """One run as stored. `epochs` holds one dict per finished epoch (EpochRecord fields).

    `problems` is empty for a healthy run; a damaged run lists what is wrong, one phrase each
    (``config: not valid JSON``), and its damaged fields hold empty values.
    `model_path` is where its model file belongs inside the store's models folder, or None.
    """

    id: int
    status: str
    message: str
    started_at: str
    ended_at: str | None
    config: dict[str, Any]
    dataset: dict[str, Any]
    seed: int
    final: dict[str, Any] | None
    confusion: list[list[int]] | None
    model_path: str | None
    owner: Owner | None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    problems: tuple[str, ...] = ()
    study_id: int | None = None
    trial_key: str | None = None
    """A study's trial: its study and trial key (runs.study_spec); None for a run of its own."""

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    def describe_damage(self) -> str:
        """``run 3 is damaged: config: not valid JSON; seed: ...`` (for messages)."""
        return f"run {self.id} is damaged: " + "; ".join(self.problems)

    @property
    def run_config(self) -> RunConfig:
        return RunConfig.from_dict(self.config)

    @property
    def best_epoch(self) -> dict[str, Any] | None:
        """The epoch with the highest validation accuracy (the earliest on ties, as the Trainer keeps
        its weights); None without a validation set: a best chosen on test would be a test-set pick."""
        scored = [e for e in self.epochs if e.get("val_acc") is not None]
        return max(scored, key=lambda e: e["val_acc"]) if scored else None


class _Damage(ValueError):
    """One field's value is unusable; str() says which and why."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _json(name: str, text: Any, kind: type, optional: bool = False) -> Any:
    if text is None and optional:
        return None
    if not isinstance(text, str):
        raise _Damage(f"{name}: expected JSON text, got {_short(text)}")
    if len(text) > MAX_JSON_CHARS:
        raise _Damage(f"{name}: {len(text):,} characters of JSON, more than any run stores")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _Damage(f"{name}: not valid JSON") from None
    if value is None and optional:
        return None
    if not isinstance(value, kind):
        raise _Damage(f"{name}: expected a JSON {'object' if kind is dict else 'array'}, got {type(value).__name__}")
    return value


def _number(name: str, value: Any, optional: bool = True, low: float | None = None, high: float | None = None) -> Any:
    if value is None and optional:
        return None
    try:
        usable = _is_number(value) and not math.isnan(float(value))
    except OverflowError:  # an integer beyond any float: formatting it would fail
        usable = False
    if not usable:
        raise _Damage(f"{name}: expected a number, got {_short(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _Damage(f"{name}: {value!r} is outside {low} to {high}")
    return value


def _integer(name: str, value: Any, optional: bool = False, low: int | None = None) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        raise _Damage(f"{name}: expected a whole number{'' if low is None else f' >= {low}'}, got {_short(value)}")
    return value


def _text(name: str, value: Any, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Damage(f"{name}: expected text, got {_short(value)}")
    return value


def _config(text: Any) -> dict[str, Any]:
    values = _json("config", text, dict)
    for section in ("data", "model", "train"):
        if not isinstance(values.get(section, {}), dict):
            raise _Damage(f"config: {section} is not an object")
    try:
        config = RunConfig.from_dict(values)
    except (ValueError, TypeError, RecursionError) as error:
        raise _Damage(f"config: {error}") from None
    if not isinstance(config.data.data_dir, (str, type(None))):
        raise _Damage(f"config: data_dir: expected a folder name, got {_short(config.data.data_dir)}")
    return config.to_dict()


def _dataset(text: Any) -> dict[str, Any]:
    values = _json("dataset", text, dict)
    _text("dataset name", values.get("name", ""))
    source = values.get("source", {})
    if not isinstance(source, dict) or not all(isinstance(v, str) for v in source.values()):
        raise _Damage("dataset: source is not an object of texts")
    checksums = values.get("checksums", {})
    if not isinstance(checksums, dict) or not all(isinstance(v, str) for v in checksums.values()):
        raise _Damage("dataset: checksums is not an object of texts")
    for key in ("train_size", "val_size", "test_size"):
        _integer(f"dataset {key}", values.get(key, 0), low=0)
    return values


def _final(text: Any) -> dict[str, Any] | None:
    values = _json("final", text, dict, optional=True)
    if values is None:
        return None
    for key in ("test_loss", "train_loss", "val_loss", "seconds"):
        _number(f"final {key}", values.get(key))
    for key in ("test_acc", "accuracy", "train_acc", "val_acc"):
        _number(f"final {key}", values.get(key), low=0, high=1)
    _integer("final epochs", values.get("epochs"), optional=True, low=0)
    for key in ("precision", "recall"):
        series = values.get(key)
        if series is not None and (not isinstance(series, list) or not all(_is_number(v) for v in series)):
            raise _Damage(f"final {key}: expected a list of numbers")
    return values


def _confusion(text: Any, classes: int) -> list[list[int]] | None:
    values = _json("confusion", text, list, optional=True)
    if values is None:
        return None
    square = len(values) == classes and all(isinstance(row, list) and len(row) == classes for row in values)
    # `type(v) is int` leaves out bools as _integer does, in one pass without a call per cell.
    if not square or not all(type(v) is int and v >= 0 for row in values for v in row):
        raise _Damage(f"confusion: expected {classes} rows of {classes} whole numbers >= 0")
    return values


def _epoch(row: Mapping[str, Any]) -> dict[str, Any]:
    number = _integer("epoch number", row["epoch"], low=1)
    try:
        record = {c: row[c] for c in EPOCH_COLUMNS}
        for c in EPOCH_COLUMNS[1:]:
            _number(c, row[c], low=0 if c in ACCURACIES else None, high=1 if c in ACCURACIES else None)
        extra = _json("extra", row["extra"], dict)
    except _Damage as damage:
        raise _Damage(f"epoch {number}: {damage}") from None
    record.update({k: v for k, v in extra.items() if k not in record})
    return record


def model_file(run_id: int, stored: Any, models_dir: Path) -> str | None:
    """Where run `run_id`'s model belongs, derived from its id; None when the row records no model.

    The stored value only says that a model was saved: current versions store ``<id>.npz``,
    older ones an absolute path. The file read or deleted is always ``models/<id>.npz`` of this
    store (so a copied home never reaches the original's models), and a stored name for another
    file, or a link leading out of the models folder, makes the row damaged.
    """
    if stored is None:
        return None
    expected = f"{run_id}.npz"
    if not isinstance(stored, str) or Path(stored).name != expected or (
        Path(stored).is_absolute() and Path(stored).parent.name != models_dir.name
    ) or (not Path(stored).is_absolute() and stored != expected):
        raise _Damage(f"model_path: {_short(stored)} is not this run's file {models_dir.name}/{expected}")
    path = models_dir / expected
    try:
        inside = path.resolve().parent == _resolved(models_dir)
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise _Damage(f"model_path: {models_dir.name}/{expected} is a link leading out of the models folder")
    return str(path)


@functools.lru_cache(maxsize=16)
def _resolved(folder: Path) -> Path:
    """The models folder's real path, once per process rather than once per run read (a store of
    100,000 runs is read whole by `runs list --jsonl` and the History). Each model file is still
    resolved itself; a folder swapped for a link later only makes its runs read as damaged."""
    return folder.resolve()


def build_record(row: Mapping[str, Any], epoch_rows: list[Mapping[str, Any]], models_dir: Path) -> RunRecord:
    """The record of one `runs` row and its `epochs` rows; damage is collected in `problems`, never raised."""
    problems: list[str] = []

    def checked(check: Callable[..., Any], *args: Any, empty: Any = None) -> Any:
        try:
            return check(*args)
        except _Damage as damage:
            problems.append(str(damage))
            return empty

    status = checked(_text, "status", row["status"], empty="")
    if status and status not in STATUSES:
        problems.append(f"status: {_short(status)} is not one of {', '.join(STATUSES)}")
    config = checked(_config, row["config"], empty={})
    classes = config.get("model", {}).get("num_classes", 10)
    epochs = [e for e in (checked(_epoch, r) for r in epoch_rows) if e is not None]
    pid = checked(_integer, "pid", row["pid"], True, 0)
    hostname = checked(_text, "hostname", row["hostname"], True)
    started = checked(_text, "owner_started", row["owner_started"], True)
    return RunRecord(
        id=row["id"],
        status=status,
        message=checked(_text, "message", row["message"], empty=""),
        started_at=checked(_text, "started_at", row["started_at"], empty=""),
        ended_at=checked(_text, "ended_at", row["ended_at"], True),
        config=config,
        dataset=checked(_dataset, row["dataset"], empty={}),
        seed=checked(_integer, "seed", row["seed"], False, 0, empty=0),
        final=checked(_final, row["final"]),
        confusion=checked(_confusion, row["confusion"], classes),
        model_path=checked(model_file, row["id"], row["model_path"], models_dir),
        owner=Owner(pid, hostname or "", started) if pid is not None else None,
        epochs=epochs,
        study_id=checked(_integer, "study_id", row["study_id"], True, 1),
        trial_key=checked(_text, "trial_key", row["trial_key"], True),
        problems=tuple(problems),
    )
