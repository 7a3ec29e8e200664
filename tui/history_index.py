"""The History's runs in filter and sort order, kept up to date one run at a time.

A store of 100,000 runs cannot be re-sorted on the screen's thread for every epoch some run
commits (about 100 ms in Python), nor drawn whole into a table. So the index holds one light
`RunSummary` per run and the matching ones as a sorted list of keys: a changed run moves with
two binary searches (`apply`, cost independent of the number of runs), and the table asks only
for the window it draws (`ids`). Changing the sort column or the filter builds a new order
(`rebuilt`), which the pane does in a worker thread for large stores.

Plain Python, no Textual.
"""

from __future__ import annotations

import bisect
from operator import itemgetter
from datetime import datetime
from typing import Any, Callable, Iterable

from tui.history_columns import COLUMNS, matches
from tui.run_summary import RunSummary

_SORT = {c.key: c.sort for c in COLUMNS}
BULK = 64
"""More changes than this at once (the first load, a burst) are merged by one sort, not one by one."""


def _comparable(value: Any) -> Any:
    # A stored date with and one without a time zone cannot be compared; their instants can.
    return value.timestamp() if isinstance(value, datetime) else value


_VALUE, _TIE = itemgetter(0), itemgetter(1)


class HistoryIndex:
    """Every run (`summaries`, by id) and, of those matching `query`, their order by `column`."""

    def __init__(self, column: str = "id", reverse: bool = True, query: str = "") -> None:
        self.column, self.reverse, self.query = column, reverse, query
        self.summaries: dict[int, RunSummary] = {}
        self._keys: list[tuple[Any, int, int]] = []
        """(value, tie, id) of matching runs with a value, ascending; `tie` keeps equal values in id order both ways."""
        self._missing: list[int] = []
        """Ids of matching runs without a value: last in either direction, oldest first."""
        self._key_of: dict[int, tuple[Any, int, int] | None] = {}
        """The entry each matching run has in `_keys` (None: it is in `_missing`)."""

    def __len__(self) -> int:
        """How many runs match the filter."""
        return len(self._keys) + len(self._missing)

    def _key(self, summary: RunSummary) -> tuple[Any, int, int] | None:
        value = _SORT[self.column](summary)
        if value is None:
            return None
        return (_comparable(value), -summary.id if self.reverse else summary.id, summary.id)

    def _matches(self, summary: RunSummary) -> bool:
        return not self.query.strip() or matches(summary, self.query)

    # ------------------------------------------------------------- changes
    def apply(self, changed: Iterable[RunSummary], deleted: Iterable[int] = ()) -> None:
        """Runs written since the last read (their new summaries) and ids deleted."""
        changed = list(changed)
        for run_id in deleted:
            self._remove(run_id)
            self.summaries.pop(run_id, None)
        for summary in changed:
            self._remove(summary.id)
            self.summaries[summary.id] = summary
        wanted = [s for s in changed if self._matches(s)]
        if len(wanted) > BULK:
            self._merge(wanted)
            return
        for summary in wanted:
            key = self._key(summary)
            self._key_of[summary.id] = key
            if key is None:
                bisect.insort(self._missing, summary.id)
            else:
                bisect.insort(self._keys, key)

    def _remove(self, run_id: int) -> None:
        if run_id not in self._key_of:
            return
        key = self._key_of.pop(run_id)
        if key is None:
            del self._missing[bisect.bisect_left(self._missing, run_id)]
        else:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def _merge(self, summaries: list[RunSummary]) -> None:
        """Many new entries at once: Python's sort merges the two sorted runs in linear time."""
        keys, missing = [], []
        for summary in summaries:
            key = self._key(summary)
            self._key_of[summary.id] = key
            if key is None:
                missing.append(summary.id)
            else:
                keys.append(key)
        # Two stable sorts, by tie then by value, order the keys as comparing the tuples would, with
        # one comparison of plain values each: tuple comparisons of 100,000 keys held the
        # interpreter lock (and so the screen's thread) for a few hundred ms.
        keys.sort(key=_TIE)
        keys.sort(key=_VALUE)
        self._keys = sorted(self._keys + keys) if self._keys else keys  # merging sorted runs: linear
        self._missing = sorted(self._missing + missing)

    # ------------------------------------------------------- order, window
    @classmethod
    def of(cls, summaries: dict[int, RunSummary], column: str, reverse: bool, query: str,
           stop: Callable[[], bool] = lambda: False) -> "HistoryIndex | None":
        """An index over `summaries` (which it keeps: pass a copy when building it in a worker
        while the screen's index goes on changing; the pane replays what changed meanwhile).
        None if `stop()` turned true on the way (a newer key asked for another order)."""
        index = cls(column, reverse, query)
        index.summaries = summaries
        wanted = []
        for n, summary in enumerate(summaries.values()):
            if n % 1000 == 0 and stop():
                return None
            if index._matches(summary):
                wanted.append(summary)
        index._merge(wanted)
        return index

    def ids(self, start: int, stop: int) -> list[int]:
        """Ids of the matching runs at positions start..stop-1 of the order."""
        n, out = len(self._keys), []
        if start < n:
            if self.reverse:
                out = [k[2] for k in reversed(self._keys[max(n - stop, 0): n - start])]
            else:
                out = [k[2] for k in self._keys[start: min(stop, n)]]
        if stop > n:
            out += self._missing[max(start - n, 0): stop - n]
        return out

    def window(self, start: int, stop: int) -> list[RunSummary]:
        return [self.summaries[i] for i in self.ids(start, stop)]
