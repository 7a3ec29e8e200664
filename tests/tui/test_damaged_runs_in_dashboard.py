"""A store with damaged rows in the real dashboard: the damaged run is shown as damaged, every key on
it says why it cannot be used, and the dashboard keeps running with the other runs usable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable, Static, TabbedContent

from runs.store import RunStore
from tui.app import MnistTuiApp, run_dashboard
from tui.screens.compare import CompareScreen
from tui.widgets.confusion_pane import ConfusionPane

from tui_history_helpers import fixed_store, scenario, settle

SIZE = (160, 48)


def _damage(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(statement)
    conn.commit()
    conn.close()


@scenario
async def test_damaged_runs_are_marked_and_the_dashboard_keeps_going(tmp_path: Path):
    path = tmp_path / "runs.sqlite3"
    fixed_store(path).close()
    _damage(path, "UPDATE runs SET config = '{\"model\": ' WHERE id = 2")
    _damage(path, "UPDATE runs SET final = '[1, 2]' WHERE id = 3")
    with RunStore.open(path) as store:
        app = MnistTuiApp(store, runner="thread")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("f4")
            await settle(pilot)
            table = app.query_one("#history-table", DataTable)
            assert table.row_count == 3
            statuses = {key.value: table.get_cell(key, "status").plain for key in table.rows}
            assert statuses == {"1": "completed", "2": "damaged", "3": "damaged"}
            assert "config: not valid JSON" in table.get_cell("2", "options").plain

            table.move_cursor(row=table.get_row_index("2"))
            await pilot.press("enter")  # its confusion matrix: refused with the reason
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "confusion"
            assert "run 2 is damaged: config: not valid JSON" in str(app.query_one("#confusion-info", Static).render())

            await pilot.press("f4")
            await settle(pilot)
            before = app.train_pane.options.build_config()
            await pilot.press("r")  # its options: refused, the Train tab keeps its own
            await settle(pilot)
            assert app.query_one(TabbedContent).active == "history"
            assert app.train_pane.options.build_config() == before
            assert any("Run 2 is damaged" in n.message for n in app._notifications)

            await pilot.press("space")  # marks run 2, moves to run 1
            await pilot.press("space", "c")
            await settle(pilot)
            assert isinstance(app.screen, CompareScreen)
            assert "run 2 is damaged" in str(app.screen.query_one("#compare-problems", Static).render())
            await pilot.press("escape")
            await settle(pilot)

            table.move_cursor(row=table.get_row_index("1"))
            await pilot.press("enter")  # a healthy run still works
            await settle(pilot)
            assert app.query_one(ConfusionPane).run.id == 1
            assert app.is_running


def test_dashboard_refuses_a_store_missing_a_column_before_starting(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    fixed_store(home / "runs.sqlite3").close()
    _damage(home / "runs.sqlite3", "ALTER TABLE runs DROP COLUMN message")
    before = (home / "runs.sqlite3").read_bytes()
    monkeypatch.setenv("MNIST_TUI_HOME", str(home))
    assert run_dashboard() == 1
    err = capsys.readouterr().err
    assert "table runs lacks the column message" in err and "left untouched" in err
    assert (home / "runs.sqlite3").read_bytes() == before
