"""Layer statistics read from the store's layer_stats table, checked, and joined to one run's epochs.

The store is untrusted (runs.rows): a `layers` value that is not JSON, not a list of per-layer
objects with numbers where numbers belong, or has histogram counts that are not small lists of
whole numbers, becomes one of the run's `problems` naming the epoch and the field, instead of a
traceback in the Inside tab or `runs inside` later. Only a single run's read joins them
(RunStore.get_run): the history's list of every run never reads or parses them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Mapping

from nn_core.layer_stats import FIELDS, HIST_BINS

MAX_LAYERS = 64
MAX_JSON_CHARS = 200_000
"""An epoch's statistics are about 500 characters a layer; anything near this size is damage."""
SHARES = ("dead", "saturated")


class LayerStatsError(ValueError):
    """The stored statistics are unusable; str() names the field."""


def _number(name: str, value: Any, share: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LayerStatsError(f"{name}: expected a finite number or null, got {str(value)[:30]!r}")
    if share and not 0 <= value <= 1:
        raise LayerStatsError(f"{name}: {value!r} is outside 0 to 1")


def _counts(name: str, value: Any) -> None:
    if not isinstance(value, list) or len(value) != HIST_BINS or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value):
        raise LayerStatsError(f"{name}: expected {HIST_BINS} whole numbers >= 0")


def check_layers(value: Any) -> list[dict[str, Any]]:
    """The stored `layers` list, checked; raises LayerStatsError naming what is wrong."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LAYERS:
        raise LayerStatsError(f"layers: expected a list of 1 to {MAX_LAYERS} layer entries")
    for i, row in enumerate(value, 1):
        where = f"layers[{i}]"
        if not isinstance(row, dict):
            raise LayerStatsError(f"{where}: expected an object, got {type(row).__name__}")
        if row.get("layer") != i:
            raise LayerStatsError(f"{where}.layer: expected {i}")
        for key in FIELDS:
            _number(f"{where}.{key}", row.get(key), share=key in SHARES)
        hist = row.get("hist")
        if not isinstance(hist, dict):
            raise LayerStatsError(f"{where}.hist: expected an object")
        for key in ("lo", "hi"):
            _number(f"{where}.hist.{key}", hist.get(key))
            if hist.get(key) is None:
                raise LayerStatsError(f"{where}.hist.{key}: missing")
        if not hist["lo"] < hist["hi"]:
            raise LayerStatsError(f"{where}.hist: lo must be below hi")
        _counts(f"{where}.hist.now", hist.get("now"))
        _counts(f"{where}.hist.init", hist.get("init"))
    return value


def _parsed(text: Any) -> Any:
    if not isinstance(text, str):
        raise LayerStatsError("layers: expected JSON text")
    if len(text) > MAX_JSON_CHARS:
        raise LayerStatsError(f"layers: {len(text):,} characters of JSON, more than any run stores")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise LayerStatsError("layers: not valid JSON") from None


def with_layer_stats(record, rows: list[Mapping[str, Any]]):
    """`record` (a RunRecord) with each epoch's checked `layers` added; damaged ones become problems.

    Any `layers` key an epoch's extra JSON might carry (a hand-edited store) is dropped first:
    statistics come from this table only, always checked.
    """
    epochs = [{k: v for k, v in e.items() if k != "layers"} for e in record.epochs]
    by_epoch = {e["epoch"]: e for e in epochs}
    problems = list(record.problems)
    for row in rows:
        epoch = row["epoch"]
        try:
            layers = check_layers(_parsed(row["layers"]))
        except LayerStatsError as damage:
            problems.append(f"epoch {epoch}: {damage}")
            continue
        if epoch in by_epoch:
            by_epoch[epoch]["layers"] = layers
    return dataclasses.replace(record, epochs=epochs, problems=tuple(problems))
