"""Checks the layer statistics stored with an epoch (`layers` in its extra JSON) as they are read.

The store is untrusted (runs.rows): a `layers` value that is not a list of per-layer objects
with numbers where numbers belong, or histogram counts that are not small lists of whole
numbers, makes the epoch damaged with a message naming the field, instead of a traceback
in the Inside tab or `runs inside` later.
"""

from __future__ import annotations

import math
from typing import Any

from nn_core.layer_stats import FIELDS, HIST_BINS

MAX_LAYERS = 64
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
