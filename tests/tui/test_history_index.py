"""The History's index: runs changed one at a time land where a full sort would put them."""

from __future__ import annotations

import dataclasses
import random

from tui.history_columns import COLUMN_KEYS, sort_summaries
from tui.history_index import BULK, HistoryIndex
from tui.run_summary import RunSummary


def _summary(run_id: int, rng: random.Random) -> RunSummary:
    value = None if rng.random() < 0.2 else rng.choice([0.9, 0.95, rng.random()])  # ties and gaps
    return RunSummary(
        id=run_id, started=None, dataset=rng.choice(["mnist", "fashion-mnist"]), architecture="784-10",
        options=rng.choice(["sgd lr 0.1", "adam lr 0.003"]), epochs_done=rng.randint(0, 5), epochs_planned=5,
        best_val=value, best_epoch=1, last_val=value, test_acc=None, seconds=rng.random(),
        status=rng.choice(["completed", "running"]), config_text='{"train": {"optimizer": "sgd"}}',
    )


def _expected(runs: dict[int, RunSummary], column: str, reverse: bool, query: str = "") -> list[int]:
    from tui.history_columns import matches

    oldest_first = [runs[i] for i in sorted(runs) if not query or matches(runs[i], query)]
    return [s.id for s in sort_summaries(oldest_first, column, reverse)]


def test_changes_one_at_a_time_and_in_bulk_match_a_full_sort():
    rng = random.Random(7)
    for column in COLUMN_KEYS:
        for reverse in (False, True):
            for query in ("", "sgd"):
                runs = {i: _summary(i, rng) for i in range(1, 2 * BULK)}
                index = HistoryIndex(column, reverse, query)
                index.apply(runs.values())  # bulk
                for step in range(300):  # then one run at a time: new, changed, deleted
                    run_id = rng.randint(1, 3 * BULK)
                    if step % 7 == 0 and run_id in runs:
                        del runs[run_id]
                        index.apply([], [run_id])
                    else:
                        runs[run_id] = _summary(run_id, rng)
                        index.apply([runs[run_id]])
                expected = _expected(runs, column, reverse, query)
                assert index.ids(0, len(runs)) == expected, (column, reverse, query)
                assert len(index) == len(expected) and set(index.summaries) == set(runs)
                assert index.ids(5, 12) == expected[5:12]


def test_a_new_order_is_built_over_the_same_runs():
    rng = random.Random(3)
    runs = {i: _summary(i, rng) for i in range(1, 50)}
    index = HistoryIndex.of(dict(runs), "best", False, "")
    assert index.ids(0, 100) == _expected(runs, "best", False)
    runs[10] = dataclasses.replace(runs[10], best_val=2.0)
    index.apply([runs[10]])
    blanks = sum(r.best_val is None for r in runs.values())
    assert index.ids(0, 100)[-1 - blanks] == 10  # the highest value, before the runs without one
    assert index.ids(0, 100) == _expected(runs, "best", False)


def test_building_an_order_stops_when_asked():
    rng = random.Random(1)
    runs = {i: _summary(i, rng) for i in range(1, 3000)}
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # a newer order was asked for after the first thousand runs

    assert HistoryIndex.of(runs, "id", True, "sgd", stop=stop) is None
    assert len(HistoryIndex.of(runs, "id", True, "")) == len(runs)
