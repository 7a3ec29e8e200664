"""The compare screen: differing settings (all on a key), best values marked, curves, confusion change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textual.app import App
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from runs.config import DataConfig, RunConfig
from runs.store import RunStore
from tui.screens.compare import BEST, CompareScreen

from tui_history_helpers import SMALL, SMALL_SGD, fixed_store, real_runs, scenario

SIZE = (120, 36)


class CompareApp(App):
    def __init__(self, store: RunStore, run_ids: list[int]) -> None:
        super().__init__()
        self.store, self.run_ids = store, run_ids

    def on_mount(self) -> None:
        self.push_screen(CompareScreen(self.store, self.run_ids))


def cells(table: DataTable, column: int) -> list[str]:
    return [str(table.get_cell_at((row, column))) for row in range(table.row_count)]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        yield store


@scenario
async def test_settings_differences_and_all_fields_on_a(store: RunStore):
    app = CompareApp(store, [1, 2])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        config = app.screen.query_one("#compare-config", DataTable)
        assert cells(config, 0) == ["model.hidden_sizes", "train.optimizer", "train.learning_rate"]
        assert cells(config, 1) == ["[64]", "momentum", "0.03"]
        assert cells(config, 2) == ["[128, 64]", "sgd", "0.1"]
        await pilot.press("a")
        assert config.row_count == len(store.get_run(1).run_config.flat())
        await pilot.press("a")
        assert config.row_count == 3


@scenario
async def test_best_values_are_marked_per_metric(store: RunStore):
    app = CompareApp(store, [1, 2, 3])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        metrics = app.screen.query_one("#compare-metrics", DataTable)
        labels = [str(c.label) for c in metrics.columns.values()]
        best_val, test_acc, test_loss = (labels.index(n) for n in ("best val", "test acc", "test loss"))
        marked = {name: [BEST in v for v in cells(metrics, col)]
                  for name, col in (("best", best_val), ("acc", test_acc), ("loss", test_loss))}
        # The pick is on validation: test figures are reported, never starred.
        assert marked == {"best": [False, True, False], "acc": [False, False, False], "loss": [False, False, False]}
        assert cells(metrics, test_acc) == ["94.88% last", "96.34% last", "—"]  # whose weights: said
        assert "Compare exactly two runs" in str(app.screen.query_one("#compare-difference").render())


@scenario
async def test_two_runs_show_which_pairs_got_better_or_worse(store: RunStore):
    app = CompareApp(store, [1, 2])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#compare-difference").render())
        before, after = np.array(store.get_run(1).confusion), np.array(store.get_run(2).confusion)
        diff = after - before
        np.fill_diagonal(diff, 0)
        t, p = np.unravel_index(np.abs(diff).argmax(), diff.shape)
        word = "better" if diff[t, p] < 0 else "worse"
        assert f"{t} → {p}: {before[t, p]} → {after[t, p]} ({diff[t, p]:+d}) {word}" in text


@scenario
async def test_runs_on_different_datasets_or_without_matrix_are_explained(store: RunStore):
    app = CompareApp(store, [1, 3])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Run 3 has no confusion matrix" in str(app.screen.query_one("#compare-difference").render())
        config = app.screen.query_one("#compare-config", DataTable)
        assert "data.dataset" in cells(config, 0)


@scenario
async def test_confusion_matrices_of_different_datasets_are_not_subtracted(store: RunStore):
    fashion = store.create_run(RunConfig(data=DataConfig(dataset="fashion-mnist")), {})
    store.finish_run(fashion, "completed", final={"test_acc": 0.8}, confusion=store.get_run(1).confusion)
    app = CompareApp(store, [1, fashion])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#compare-difference").render())
        assert text == ("The runs used different datasets (mnist, fashion-mnist): "
                        "their matrices do not compare.")


@scenario
async def test_an_unknown_run_id_is_reported_not_fatal(store: RunStore):
    app = CompareApp(store, [1, 42])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no run with id 42" in str(app.screen.query_one("#compare-problems").render())
        assert app.screen.query_one("#compare-metrics", DataTable).row_count == 1


@scenario
async def test_curves_of_real_runs_are_overlaid(tmp_path: Path):
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        ids = real_runs(store, SMALL, SMALL_SGD)
        app = CompareApp(store, ids)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            plot = app.screen.query_one("#curve-acc", PlotextPlot)
            drawn = plot.plt._active.monitor  # where plotext keeps the series it was given
            series = [list(map(float, ys)) for ys in drawn.y]
            expected = [[e["val_acc"] for e in store.get_run(i).epochs] for i in ids]
            assert series == expected
            assert "run 1" in str(app.screen.query_one("#curves-title").render())
