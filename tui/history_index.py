"""The History's runs in filter and sort order, kept up to date one run at a time.

A store of 100,000 runs cannot be re-sorted on the screen's thread for every epoch some run
commits (about 100 ms in Python), nor drawn whole into a table. So the index holds one light
`RunSummary` per run and the matching ones as a sorted list of keys: a changed run moves with
two binary searches (`apply`, cost independent of the number of runs), and the table asks only
for the window it draws (`ids`). Changing the sort column or the filter builds a new order
(`of`), which the pane does in a worker thread for large stores.

A worker thread still shares the interpreter lock with the screen's thread, which runs Python
only between the worker's bytecodes: one long C call (Python's list.sort over 100,000 keys,
20-40 ms) holds every key back meanwhile. So numeric columns are ordered by NumPy's lexsort,
which lets go of the lock while it sorts, and every other step is a Python loop the screen's
thread can interrupt. (Text columns still use list.sort: a sort by options is rarer.)

Plain Python, no Textual.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from operator import itemgetter
from typing import Any, Callable, Iterable

import numpy as np

from tui.history_columns import COLUMNS, matches
from tui.run_summary import RunSummary

_SORT = {c.key: c.sort for c in COLUMNS}
BULK = 64
"""More changes than this at once (the first load, a burst) are merged by one sort, not one by one."""


def _comparable(value: Any) -> Any:
    # A stored date with and one without a time zone cannot be compared; their instants can.
    return value.timestamp() if isinstance(value, datetime) else value


_VALUE, _TIE = itemgetter(0), itemgetter(1)


def _in_order(keys: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    """`sorted(keys)`, holding the interpreter lock only briefly at a time (see the module's docstring)."""
    if all(type(key[0]) in (int, float) for key in keys):
        values = np.fromiter((key[0] for key in keys), np.float64, len(keys))  # ids and counts < 2**53: exact
        ties = np.fromiter((key[1] for key in keys), np.int64, len(keys))
        return [keys[i] for i in np.lexsort((ties, values)).tolist()]
    # Two stable sorts, by tie then by value, order the keys as comparing the tuples would, with
    # one comparison of plain values each (tuple comparisons took several times longer).
    keys = sorted(keys, key=_TIE)
    keys.sort(key=_VALUE)
    return keys


class HistoryIndex:
    """Every run (`summaries`, by id) and, of those matching `query`, their order by `column`."""

    def __init__(self, column: str = "id", reverse: bool = True, query: str = "") -> None:
        self.column, self.reverse, self.query = column, reverse, query
        self.summaries: dict[int, RunSummary] = {}
        self._keys: list[tuple[Any, int, int]] = []
        """(value, tie, id) of matching runs with a value, ascending; `tie` keeps equal values in id order both ways."""
        self._missing: list[int] = []
        """Ids of matching runs without a value: last in either direction, oldest first.

        Where a run stands is found again from its summary in `summaries` (its key and whether it
        matches never change for this order), so no map from run to key is kept: 100,000 fewer
        entries to build, hold and free with each new order."""

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
            if key is None:
                bisect.insort(self._missing, summary.id)
            else:
                bisect.insort(self._keys, key)

    def _remove(self, run_id: int) -> None:
        """Take run `run_id` out of the order, found from the summary it was placed by (call before replacing it)."""
        old = self.summaries.get(run_id)
        if old is None or not self._matches(old):
            return
        key = self._key(old)
        if key is None:
            del self._missing[bisect.bisect_left(self._missing, run_id)]
        else:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def _merge(self, summaries: list[RunSummary]) -> None:
        """Many new entries at once: Python's sort merges the two sorted runs in linear time."""
        keys, missing = [], []
        for summary in summaries:
            key = self._key(summary)
            if key is None:
                missing.append(summary.id)
            else:
                keys.append(key)
        keys = _in_order(keys)
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

    def release(self) -> None:
        """Empty this index a slice at a time, for a worker thread: dropped at once on the screen's
        thread, an order over 100,000 runs took 10-15 ms to free, and a key waited for it."""
        while self._keys:
            del self._keys[-5000:]
        self._missing, self.summaries = [], {}

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
