"""The History in a large store: one epoch committed reads one run, the table draws a page at a time."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from runs.store import RunStore
from tui.widgets.history_pane import PAGE_MIN, HistoryPane

from tui_history_helpers import SMALL, PanesApp, _epoch, fixed_store, scenario, settle

SIZE = (120, 36)


@scenario
async def test_an_epoch_committed_elsewhere_reads_only_that_run(tmp_path: Path):
    path = tmp_path / "runs.sqlite3"
    with fixed_store(path) as store:
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            built: list[int] = []
            records = store._records
            store._records = lambda rows: built.extend(r["id"] for r in rows) or records(rows)
            with RunStore.open(path) as other:
                other.add_epoch(3, _epoch(2, 0.85, 0.84))
            await pilot.pause(1.5)  # one poll of data_version()
            await settle(pilot)
            assert built == [3]  # not every run in the store
            table = app.query_one("#history-table", DataTable)
            assert str(table.get_cell("3", "epochs")) == "2/5" and table.row_count == 3
            screen = app.export_screenshot()  # drawn, not only stored: the row was repainted
            assert "2/5" in screen and "1/5" not in screen and "85.00%" in screen

            with RunStore.open(path) as other:
                other.delete_run(3)
            await pilot.pause(1.5)
            await settle(pilot)
            assert "3" not in table.rows and table.row_count == 2
            assert str(app.query_one("#history-status").render()).startswith("2 of 2 runs")


@scenario
async def test_the_table_draws_a_page_and_the_next_one_at_its_end(tmp_path: Path):
    with RunStore.open(tmp_path) as store:
        total = 5 * PAGE_MIN + 20  # at least two pages and a part
        for _ in range(total):
            store.finish_run(store.create_run(SMALL, {}), "completed")
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            table = app.query_one("#history-table", DataTable)
            PAGE = app.query_one(HistoryPane).page_size
            assert PAGE >= table.size.height and 2 * PAGE < total
            assert table.row_count == PAGE
            status = str(app.query_one("#history-status").render())
            assert status.startswith(f"{total} of {total} runs") and f"first {PAGE} drawn" in status
            await pilot.press("ctrl+end")
            await settle(pilot)
            assert table.row_count == 2 * PAGE
            for _ in range(-(-total // PAGE) - 2):  # a page more each time the cursor reaches the end
                await pilot.press("ctrl+end")
                await settle(pilot)
            assert table.row_count == total
            assert str(table.get_cell_at((total - 1, 1))) == "1"  # the oldest, last in newest-first order
            pane = app.query_one(HistoryPane)
            await pilot.press("S")  # oldest first: a new order starts at its first page again
            await settle(pilot)
            assert pane.sort_reverse is False and table.row_count == PAGE
            assert str(table.get_cell_at((0, 1))) == "1"


@scenario
async def test_a_large_store_sorts_and_filters_in_a_worker_with_the_same_result(tmp_path: Path):
    import threading
    from unittest import mock

    from tui.history_index import HistoryIndex

    threads: list[str] = []
    build = HistoryIndex.of.__func__

    def recorded(cls, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return build(cls, *args, **kwargs)

    with fixed_store(tmp_path / "runs.sqlite3") as store, mock.patch("tui.widgets.history_pane.SYNC_LIMIT", 1), \
            mock.patch.object(HistoryIndex, "of", classmethod(recorded)):
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            table = app.query_one("#history-table", DataTable)
            pane = app.query_one(HistoryPane)
            await pilot.press("s")  # the sort menu: "last val", as test_history_pane's sort test does
            await pilot.pause()
            await pilot.press(*["down"] * 6, "enter", "S")  # (an accuracy sorts best first: S for ascending)
            store.add_epoch(3, _epoch(2, 0.99, 0.98))
            pane._check_store()
            await settle(pilot)
            assert threads and threading.main_thread().name not in threads
            assert pane.sort_column == "last"
            assert [row.key.value for row in table.ordered_rows] == ["1", "2", "3"]  # 95.2%, 96.1%, 99%
            await pilot.press("slash", *"sgd")
            await settle(pilot)
            assert [row.key.value for row in table.ordered_rows] == ["2"]


@scenario
async def test_a_row_damaged_after_the_first_read_is_shown_damaged(tmp_path: Path):
    """The incremental read validates rows like the first one (runs.rows): damage made by another
    program after the History read the store shows at the next poll, and the other runs stay."""
    import sqlite3

    path = tmp_path / "runs.sqlite3"
    with fixed_store(path) as store:
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            conn = sqlite3.connect(path)
            conn.execute("UPDATE runs SET config = '{not json' WHERE id = 2")
            conn.commit()
            conn.close()
            await pilot.pause(1.5)
            await settle(pilot)
            table = app.query_one("#history-table", DataTable)
            assert str(table.get_cell("2", "status")) == "damaged"
            assert "config" in str(table.get_cell("2", "options"))
            assert [str(table.get_cell(k, "status")) for k in ("1", "3")] == ["completed", "cancelled"]
