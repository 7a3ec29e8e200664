"""The History table's columns, its filter language and its sort order, as plain functions of `RunSummary`.

No Textual here: the pane (tui.widgets.history_pane) and its index (tui.history_index) share them.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from runs.config import RunConfig
from tui.comparison import flatten_config
from tui.run_summary import RunSummary

def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


@dataclass(frozen=True)
class Column:
    """A history column: its header, how a run shows in it, and how it sorts."""

    key: str
    label: str
    show: Callable[[RunSummary], str]
    sort: Callable[[RunSummary], Any]


COLUMNS = (
    Column("id", "id", lambda s: str(s.id), lambda s: s.id),
    Column("date", "started", lambda s: s.started.astimezone().strftime("%Y-%m-%d %H:%M") if s.started else "",
           lambda s: s.started),
    Column("dataset", "data", lambda s: s.dataset.replace("fashion-mnist", "fashion"), lambda s: s.dataset),
    Column("arch", "architecture", lambda s: s.architecture, lambda s: s.architecture),
    Column("epochs", "ep", lambda s: f"{s.epochs_done}/{s.epochs_planned or '?'}", lambda s: s.epochs_done),
    Column("best", "best val",
           lambda s: f"{_pct(s.best_val)} @{s.best_epoch}" if s.best_val is not None else "-",
           lambda s: s.best_val),
    Column("last", "last val", lambda s: _pct(s.last_val), lambda s: s.last_val),
    Column("test", "test acc", lambda s: f"{_pct(s.test_acc)} {s.test_weights}" if s.test_acc is not None else "",
           lambda s: s.test_acc),
    Column("time", "time", lambda s: _duration(s.seconds), lambda s: s.seconds),
    Column("status", "status", lambda s: s.status, lambda s: s.status),
    Column("options", "options", lambda s: s.options, lambda s: s.options),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
NUMERIC = ("id", "epochs", "best", "last", "test", "time")


def row_text(summary: RunSummary) -> str:
    """Everything the row shows, lower-cased, for plain-text filtering."""
    return " ".join(c.show(summary) for c in COLUMNS).lower()


ALIASES = {"val": "best", "best val": "best", "acc": "test", "test acc": "test", "ep": "epochs",
           "lr": "learning_rate", "batch": "batch_size", "data": "dataset", "started": "date", "n": "limit"}
"""Names as the table and the options column show them (`lr 0.05`, `val`, `test acc`) -> a column or config field."""
ACCURACIES = ("best", "last", "test")
TERM = re.compile(r"^([^:<>=!]+)(>=|<=|!=|>|<|=|:)(.*)$")
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
           "!=": operator.ne}


def parse_term(term: str) -> tuple[str, str, str] | None:
    """`test>97` -> ('test', '>', '97'); `lr:0.05` -> ('learning_rate', ':', '0.05'); a plain word -> None."""
    found = TERM.match(term)
    if not found:
        return None
    field, op, value = found.groups()
    return ALIASES.get(field, field), op, value


def _value(summary: RunSummary, field: str) -> tuple[bool, Any, str]:
    """(known, number or None, text) of `field` for this run: a column's, else a config field's."""
    column = next((c for c in COLUMNS if field in (c.key, c.label)), None)
    if column is not None:
        number = column.sort(summary) if column.key in NUMERIC else None
        return True, number, column.show(summary).lower()
    fields = summary.fields
    if field not in fields:
        return False, None, ""
    value = fields[field]
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return True, number, str(value).lower()


def matches(summary: RunSummary, query: str) -> bool:
    """True if every space-separated term matches: `field:value` (contains) or `field>N`, `>=`, `<`,
    `<=`, `=`, `!=` (numbers; accuracies in % or as fractions: test>97 and test>0.97 agree) on a
    column or config field, else a substring of the row. A term whose field nothing has is also
    taken as text, so what the table shows can be typed back (`16:38` from the date column)."""
    text = row_text(summary)
    for term in query.lower().split():
        parsed = parse_term(term)
        if parsed is None:
            if term not in text:
                return False
            continue
        field, op, wanted = parsed
        known, number, shown = _value(summary, field)
        if not known:
            if term not in text:
                return False
            continue
        if op == ":":
            if wanted not in shown:
                return False
            continue
        try:
            target = float(wanted.rstrip("%"))
        except ValueError:
            return False
        if field in ACCURACIES and target > 1:
            target /= 100  # test>97 means 97%
        if number is None or not COMPARE[op](number, target):
            return False
    return True


def _config_fields() -> set[str]:
    """Every field a run config of this version has, short and `section.field`."""
    flat = flatten_config(RunConfig().to_dict())
    return set(flat) | {name.rsplit(".", 1)[-1] for name in flat}


KNOWN_FIELDS = frozenset(COLUMN_KEYS) | {c.label for c in COLUMNS} | _config_fields()


def unknown_fields(query: str, summaries: list[RunSummary]) -> list[str]:
    """Field names in `field:value` or `field>N` terms that no column, no config of this version and
    none of `summaries` (a sample: the rows drawn, not the whole store) has."""
    terms = [(term, parsed[0]) for term in query.lower().split() if (parsed := parse_term(term))]
    unknown = [(term, f) for term, f in terms if f not in KNOWN_FIELDS]
    if unknown:
        seen: set[str] = set()
        for s in summaries:
            seen.update(s.fields)
        shown = [row_text(s) for s in summaries]
        unknown = [(term, f) for term, f in unknown if f not in seen and not any(term in t for t in shown)]
    return [f for _, f in unknown]


def sort_summaries(summaries: list[RunSummary], column: str, reverse: bool) -> list[RunSummary]:
    """Sorted by `column`; runs without a value come last in either direction."""
    key = next(c.sort for c in COLUMNS if c.key == column)
    present = [s for s in summaries if key(s) is not None]
    missing = [s for s in summaries if key(s) is None]
    return sorted(present, key=key, reverse=reverse) + missing
