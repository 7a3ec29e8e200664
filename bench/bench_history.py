"""How long the run history holds the UI thread when the store changes, against rebuilding its table.

    .venv/bin/python bench/bench_history.py [--runs 100 500] [--repeat 5]

For each size a store of finished runs (5 epochs each) is written to a temporary folder and the
HistoryPane is mounted in a headless app (120x36). Rows, median of `--repeat` (ms, UI thread):

- rebuild: `table.clear()` and `add_row` for every run — the reference, what a naive refresh costs;
- refresh, no change: what the pane does when another process commits but no row changed;
- refresh, one run +1 epoch: a training run commits an epoch (the common case while training),
  what the UI thread does with the changed run;
- sort by another column: the `s` key.

"read changes (worker)" is the commit of that epoch and the worker thread's part (`changes_since` and one
summary); "list+summarize" is what a worker reading every run would cost (the pane did that for
every commit before the store tracked changes). Ratios are against the rebuild in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult

from nn_core.config import TrainConfig
from runs.config import RunConfig
from runs.store import RunStore
from tui.run_summary import summarize
from tui.widgets.history_pane import HistoryPane

EPOCHS = 5


def make_store(path: Path, runs: int) -> RunStore:
    store = RunStore.open(path)
    for i in range(runs):
        run_id = store.create_run(RunConfig(train=TrainConfig(epochs=EPOCHS + 1, seed=i)), {})
        for epoch in range(1, EPOCHS + 1):
            store.add_epoch(run_id, {"epoch": epoch, "val_acc": 0.9 + epoch / 100 + i / 1e6,
                                     "test_acc": 0.9, "seconds": 2.0})
        store.finish_run(run_id, "completed", final={"test_acc": 0.95 + i / 1e6})
    return store


class HistoryApp(App):
    def __init__(self, store: RunStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield HistoryPane(self.store)


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


async def measure(store: RunStore, repeat: int) -> dict[str, float]:
    app = HistoryApp(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        pane = app.query_one(HistoryPane)
        table = pane.table

        def rebuild() -> None:
            table.clear()
            for summary in pane.index.window(0, pane._shown):
                table.add_row(*pane._cells(summary), key=str(summary.id))

        results = {"rebuild": median_ms(rebuild, repeat)}
        table.clear()
        pane._drawn.clear()
        pane._redraw()  # the pane's own state again
        results["refresh, no change"] = median_ms(pane._redraw, repeat)

        last = max(pane.index.summaries)
        epoch = iter(range(EPOCHS + 1, 10**6))
        changed: list = []

        def read_changes() -> None:
            store.add_epoch(last, {"epoch": next(epoch), "val_acc": 0.99, "seconds": 2.0})
            changes = store.changes_since(pane._seq)
            changed[:] = [changes.seq, [summarize(r) for r in changes.runs], changes.deleted]

        def one_epoch_more() -> None:
            pane._apply(changed[1], changed[2], changed[0], None, False)

        reads, applies = [], []
        for _ in range(repeat):
            reads.append(median_ms(read_changes, 1))
            applies.append(median_ms(one_epoch_more, 1))
        results["refresh, one run +1 epoch"] = statistics.median(applies)
        results["read changes (worker)"] = statistics.median(reads)

        results["sort by another column"] = median_ms(pane.action_sort_next, repeat)
    results["list+summarize (worker)"] = median_ms(lambda: [summarize(r) for r in store.list_runs()], repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print("| runs | what | ms | ratio to rebuild |")
    print("| ---: | --- | ---: | ---: |")
    for runs in args.runs:
        with tempfile.TemporaryDirectory() as folder:
            store = make_store(Path(folder) / "runs.sqlite3", runs)
            try:
                results = asyncio.run(measure(store, args.repeat))
            finally:
                store.close()
        reference = results["rebuild"]
        for what, ms in results.items():
            print(f"| {runs} | {what} | {ms:.1f} | {ms / reference:.2f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
