"""One line of facts per stored run (architecture, options, best epoch, timing), for lists and filters.

Plain data from a `runs.store.RunRecord`; no Textual, so the command line can print the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.comparison import flatten_config


@dataclass(frozen=True)
class RunSummary:
    """What the history shows about a run; None where the run has no such value yet."""

    id: int
    started: datetime | None
    dataset: str
    architecture: str
    options: str
    epochs_done: int
    epochs_planned: int | None
    best_val: float | None
    best_epoch: int | None
    last_val: float | None
    test_acc: float | None
    seconds: float
    status: str
    config_text: str
    """The stored config as compact JSON: a store of 100,000 runs keeps this (about 0.5 kB a run)
    rather than the parsed fields (several kB a run), which `fields` rebuilds when a filter asks."""
    problems: tuple[str, ...] = ()
    """What is wrong with a damaged run (its status then reads `damaged`); empty for a healthy one."""

    @property
    def fields(self) -> dict[str, Any]:
        """Every config field under its short and its `section.field` name, for `field:value` filters."""
        flat = flatten_config(json.loads(self.config_text))
        short = {name.rsplit(".", 1)[-1]: value for name, value in flat.items()}
        return {**short, **flat}


def architecture(config: dict[str, Any]) -> str:
    """Layer widths and activation, e.g. ``784-128-64-10 relu`` (no activation without hidden layers)."""
    model = config.get("model", {})
    hidden = list(model.get("hidden_sizes", []))
    sizes = [model.get("input_size", 784), *hidden, model.get("num_classes", 10)]
    label = "-".join(str(s) for s in sizes)
    return f"{label} {model.get('activation', '?')}" if hidden else label


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def options(config: dict[str, Any]) -> str:
    """The training options that most often differ, compactly: ``momentum lr 0.03 b32 cosine L1``."""
    train, data = config.get("train", {}), config.get("data", {})
    parts = [str(train.get("optimizer", "?")), f"lr {_number(train.get('learning_rate', '?'))}",
             f"b{train.get('batch_size', '?')}", str(train.get("schedule", "?"))]
    if train.get("l1"):
        parts.append(f"L1 {_number(train.get('l1_lambda'))}")
    if train.get("l2_lambda"):
        parts.append(f"L2 {_number(train['l2_lambda'])}")
    if train.get("optimizer") == "adamw":
        parts.append(f"wd {_number(train.get('weight_decay', '?'))}")
    if any(train.get("dropout") or ()):
        parts.append("dropout " + ",".join(map(_number, train["dropout"])))
    moves = [f"±{train['augment_shift']}px" if train.get("augment_shift") else "",
             f"±{_number(train['augment_rotate'])}°" if train.get("augment_rotate") else ""]
    if any(moves):
        parts.append("aug " + " ".join(m for m in moves if m))
    if train.get("early_stop"):
        parts.append(f"stop@{train['early_stop']}")
    if data.get("normalization", "simple") != "simple":
        parts.append(str(data["normalization"]))
    if data.get("limit"):
        parts.append(f"n={data['limit']}")
    return " ".join(parts)


def class_names(dataset: str) -> tuple[str, ...]:
    """The dataset's ten class names (digits for MNIST, clothing for Fashion-MNIST)."""
    from data.registry import DATASETS

    spec = DATASETS.get(dataset)
    return spec.class_names if spec else tuple(str(i) for i in range(10))


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def summarize(run: Any) -> RunSummary:
    """Facts of one `RunRecord` (anything with its attributes)."""
    config = run.config or {}
    epochs = run.epochs
    best = run.best_epoch
    key = "val_acc" if any(e.get("val_acc") is not None for e in epochs) else "test_acc"
    final = run.final or {}
    test_acc = final.get("test_acc", final.get("accuracy"))
    problems = tuple(getattr(run, "problems", ()))
    return RunSummary(
        id=run.id,
        started=_parse_time(run.started_at),
        dataset=str(run.dataset.get("name", config.get("data", {}).get("dataset", "?"))),
        architecture=architecture(config) if config else "?",
        options="damaged: " + "; ".join(problems) if problems else options(config),
        epochs_done=len(epochs),
        epochs_planned=config.get("train", {}).get("epochs"),
        best_val=None if best is None else best.get(key),
        best_epoch=None if best is None else best.get("epoch"),
        last_val=epochs[-1].get(key) if epochs else None,
        test_acc=test_acc,
        seconds=sum(e.get("seconds") or 0.0 for e in epochs),
        status="damaged" if problems else run.status,
        config_text=json.dumps(config, separators=(",", ":")),
        problems=problems,
    )
