"""Comparing runs as plain data: config differences, best values, confusion-matrix changes.

No Textual here, so the `runs compare` command can print the same comparison the dashboard shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from nn_core.config import ConfigError
from runs.config import RunConfig

MISSING = object()
"""Stands for a config field one run has and another lacks (older runs, newer fields)."""


def flatten_config(config: dict[str, Any]) -> dict[str, Any]:
    """`section.field` keys for a stored run config, like `RunConfig.flat()`; lists become tuples."""
    flat: dict[str, Any] = {}
    for section, values in config.items():
        if isinstance(values, dict):
            for key, value in values.items():
                flat[f"{section}.{key}"] = tuple(value) if isinstance(value, list) else value
        else:
            flat[section] = values
    return flat


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """A stored config with the fields added since it was stored at their defaults (what that run
    trained with: an older run had no dropout, no early stop...), so comparing an old run with a new
    one shows real differences only. A config that does not parse is returned as stored."""
    try:
        return RunConfig.from_dict(config).to_dict()
    except (ConfigError, TypeError, ValueError, AttributeError):
        return config


def config_diff(
    configs: Sequence[dict[str, Any]], *, only_differing: bool = True
) -> list[tuple[str, list[Any]]]:
    """Rows of (field, value per run) over the union of fields, in first-seen order.

    Args:
        configs: nested run configs (`RunConfig.to_dict()` shape), one per run.
        only_differing: keep only fields whose values are not all equal.

    Returns:
        One row per field; a run without the field holds `MISSING`.
    """
    flats = [flatten_config(c) for c in configs]
    fields: dict[str, None] = {}
    for flat in flats:
        fields.update(dict.fromkeys(flat))
    rows = []
    for name in fields:
        values = [flat.get(name, MISSING) for flat in flats]
        if only_differing and all(_same(values[0], v) for v in values[1:]):
            continue
        rows.append((name, values))
    return rows


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same kind: True is not 1, a missing field equals only another missing one."""
    if a is MISSING or b is MISSING:
        return a is b
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def best_indices(values: Sequence[float | None], *, higher_is_better: bool = True,
                 groups: Sequence[Any] | None = None) -> set[int]:
    """Positions holding the best value (all of them on a tie); None and NaN never win.

    With `groups` (each run's dataset), a value is only ranked against the others of its group,
    and a group of one has no best: 90% on Fashion-MNIST and 97% on MNIST are not comparable.
    """
    if groups is None:
        groups = [None] * len(values)
    best: set[int] = set()
    for group in dict.fromkeys(groups):
        members = [i for i, g in enumerate(groups) if g == group]
        usable = [(i, values[i]) for i in members if values[i] is not None and values[i] == values[i]]
        if len(members) < 2 or not usable:
            continue
        top = (max if higher_is_better else min)(v for _, v in usable)
        best |= {i for i, v in usable if v == top}
    return best


def confusion_difference(before: Any, after: Any) -> np.ndarray:
    """`after - before` as int64; both must be square count matrices of the same size."""
    a = np.asarray(before, dtype=np.int64)
    b = np.asarray(after, dtype=np.int64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape != b.shape:
        raise ValueError(f"confusion matrices must be square and alike, got {a.shape} and {b.shape}")
    return b - a


@dataclass(frozen=True)
class PairChange:
    """How often images of class `true` were predicted as `predicted` in each of two runs."""

    true: int
    predicted: int
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def better(self) -> bool:
        """Fewer confusions off the diagonal, more hits on it."""
        return self.delta > 0 if self.true == self.predicted else self.delta < 0


def pair_changes(before: Any, after: Any, *, limit: int | None = None) -> list[PairChange]:
    """The off-diagonal (true -> predicted) pairs whose count changed, biggest change first."""
    diff = confusion_difference(before, after)
    a = np.asarray(before, dtype=np.int64)
    changes = [
        PairChange(int(t), int(p), int(a[t, p]), int(a[t, p] + diff[t, p]))
        for t, p in zip(*np.nonzero(diff))
        if t != p
    ]
    changes.sort(key=lambda c: (-abs(c.delta), c.true, c.predicted))
    return changes if limit is None else changes[:limit]
