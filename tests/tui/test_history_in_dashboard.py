"""The history, confusion and compare views inside the real dashboard (MnistTuiApp), driven by keys."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, TabbedContent

from runs.store import RunStore
from tui.app import MnistTuiApp
from tui.screens.compare import CompareScreen
from tui.widgets.confusion_matrix import ConfusionMatrix
from tui.widgets.confusion_pane import ConfusionPane

from tui_history_helpers import fixed_store, scenario, settle

SIZE = (120, 36)


@scenario
async def test_history_confusion_compare_and_reuse_in_the_dashboard(tmp_path: Path):
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        app = MnistTuiApp(store, runner="thread")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "history"
            table = app.query_one("#history-table", DataTable)
            assert app.focused is table and table.row_count == 3

            await pilot.press("down", "enter")  # run 2's confusion matrix
            await pilot.pause()
            assert app.query_one(TabbedContent).active == "confusion"
            assert app.query_one(ConfusionPane).run.id == 2
            assert isinstance(app.focused, ConfusionMatrix)
            await pilot.press("down", "right")
            assert app.focused.cursor == (1, 1)

            await pilot.press("f4")
            await pilot.pause()
            assert app.focused is table
            await pilot.press("space", "space", "c")  # marks runs 2 and 1
            await pilot.pause()
            assert isinstance(app.screen, CompareScreen) and app.screen.run_ids == [1, 2]
            await pilot.press("escape")
            await pilot.pause()
            assert app.focused is table

            await pilot.press("up", "r")  # run 2's options into the Train tab
            await pilot.pause()
            assert app.query_one(TabbedContent).active == "train"
            assert app.train_pane.options.build_config() == store.get_run(2).run_config
