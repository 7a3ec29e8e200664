"""The run history driven by keys: restart, live updates, sort, filter, mark and compare, delete, export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from runs.store import RunStore
from tui.screens.compare import CompareScreen
from tui.widgets.history_pane import HistoryPane

from tui_history_helpers import SMALL, SMALL_SGD, PanesApp, fixed_store, real_runs, scenario, settle

SIZE = (120, 36)


def column(app: PanesApp, key: str) -> list[str]:
    table = app.query_one("#history-table", DataTable)
    return [str(table.get_cell(row.key, key)) for row in table.ordered_rows]  # in display order


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        yield store


@scenario
async def test_real_runs_are_listed_again_after_a_restart(tmp_path: Path):
    path = tmp_path / "runs.sqlite3"
    with RunStore.open(path) as store:
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert str(app.query_one("#history-status").render()).startswith("No runs yet")
        ids = real_runs(store, SMALL, SMALL_SGD)
    for _ in range(2):  # two app instances, each on a new connection to the same file
        with RunStore.open(path) as store:
            app = PanesApp(store)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                assert column(app, "id") == [str(i) for i in reversed(ids)]
                assert column(app, "arch") == ["784-32-32-10 relu", "784-64-10 relu"]
                assert column(app, "epochs") == ["2/2", "1/1"]
                assert column(app, "status") == ["completed", "completed"]
                best = store.get_run(ids[1]).best_epoch
                assert column(app, "best")[0] == f"{100 * best['val_acc']:.2f}% @{best['epoch']}"


@scenario
async def test_a_run_written_by_another_connection_appears_without_a_key(store: RunStore, tmp_path: Path):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.query_one("#history-table", DataTable).row_count == 3
        with RunStore.open(tmp_path / "runs.sqlite3") as other:
            new_id = other.create_run(SMALL, {"source": {"kind": "env", "path": "/x"}})
        await pilot.pause(1.5)  # one poll of data_version()
        await settle(pilot)
        assert column(app, "id")[0] == str(new_id)
        assert column(app, "status")[0] == "running"


@scenario
async def test_sort_by_keys_and_by_header_click(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert column(app, "id") == ["3", "2", "1"]  # newest first
        await pilot.press("s")  # the sort menu: every column at once
        await pilot.pause()
        await pilot.press(*["down"] * 6, "enter")  # id -> date, dataset, arch, epochs, best, last
        await pilot.pause()
        pane = app.query_one(HistoryPane)
        assert pane.sort_column == "last" and pane.sort_reverse  # an accuracy: the best first
        assert column(app, "id") == ["2", "1", "3"]  # 96.1%, 95.2%, 81%
        assert "last val ▼" in str(app.query_one("#history-table").columns["last"].label)  # shown in the header
        await pilot.press("S")
        assert column(app, "id") == ["3", "1", "2"]
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")  # the current column again: reversed
        await pilot.pause()
        assert column(app, "id") == ["2", "1", "3"]
        await pilot.click("#history-table", offset=(4, 0))  # the id header
        await pilot.pause()
        assert pane.sort_column == "id" and column(app, "id") == ["1", "2", "3"]


@scenario
async def test_filter_by_text_and_by_field(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"fash")
        assert column(app, "id") == ["3"]
        field = app.query_one(Input)
        for query, ids in (("optimizer:sgd", ["2"]), ("status:completed 784-64", ["1"]),
                           ("train.epochs:3 data:mnist", ["2", "1"]), ("colour:red", [])):
            field.value = query
            await pilot.pause()
            assert column(app, "id") == ids, query
        status = str(app.query_one("#history-status").render())
        assert "unknown field: colour" in status and "fields: id" in status and "optimizer" in status
        field.value = "test>96 lr:0.1"  # numbers compare; names as the options column writes them
        await pilot.pause()
        assert column(app, "id") == ["2"]
        await pilot.press("escape")
        assert isinstance(app.focused, DataTable)


@scenario
async def test_mark_two_runs_and_compare_shows_only_differing_fields(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")  # nothing marked yet: a warning, no screen
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("down", "space", "space")  # marks runs 2 and 1
        assert app.query_one(HistoryPane).marked == {1, 2}
        assert "2 marked (1, 2; U clears)" in str(app.query_one("#history-status").render())
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.run_ids == [1, 2]
        config = screen.query_one("#compare-config", DataTable)
        settings = [str(config.get_cell_at((r, 0))) for r in range(config.row_count)]
        assert settings == ["model.hidden_sizes", "train.optimizer", "train.learning_rate"]
        await pilot.press("escape")
        assert app.screen is not screen


@scenario
async def test_delete_asks_first_and_removes_the_run_and_its_model(tmp_path: Path):
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        (run_id,) = real_runs(store, SMALL)
        model = Path(store.get_run(run_id).model_path)
        assert model.is_file()
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("n")  # keep it
            await settle(pilot)
            assert column(app, "id") == [str(run_id)] and model.is_file()
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            assert column(app, "id") == []
            assert store.list_runs() == [] and not model.exists()


@scenario
async def test_a_running_run_of_a_live_process_is_not_deleted(store: RunStore):
    run_id = store.create_run(SMALL, {})  # owned by this (living) process
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.get_run(run_id).status == "running"
        assert str(run_id) in column(app, "id")


@scenario
async def test_export_writes_the_chosen_file_and_refuses_bad_names(store: RunStore, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one(Input)
        assert field.value == str(tmp_path / "mnist-tui-run-3.csv")
        field.value = str(tmp_path / "runs.txt")
        await pilot.press("enter")
        assert "must end in .csv or .json" in str(app.screen.query_one("#export-error").render())
        field.value = str(tmp_path / "run3.csv")
        await pilot.press("enter")
        await pilot.pause()
        rows = list(csv.DictReader((tmp_path / "run3.csv").open()))
        assert [r["epoch"] for r in rows] == ["1"] and rows[0]["val_acc"] == "0.81"

        await pilot.press("down", "e")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "run3.csv")  # exists: never overwritten
        await pilot.press("enter")
        assert "already exists" in str(app.screen.query_one("#export-error").render())
        app.screen.query_one(Input).value = str(tmp_path / "run2.json")
        await pilot.press("enter")
        await pilot.pause()
        exported = json.loads((tmp_path / "run2.json").read_text())
        assert exported["id"] == 2 and len(exported["epochs"]) == 3


@scenario
async def test_reuse_options_and_show_confusion_post_messages(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "r")
        await pilot.pause()
        assert app.loaded_options == [store.get_run(2).config]
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "confusion"
        assert app.query_one("ConfusionPane").run.id == 2


@scenario
async def test_space_steps_one_row_and_u_clears_every_mark(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.query_one(HistoryPane)
        await pilot.press("space")
        assert pane.marked == {3} and app.query_one("#history-table").cursor_row == 1
        await pilot.press("space", "space")  # the last row: the cursor stays on it
        assert pane.marked == {1, 2, 3} and app.query_one("#history-table").cursor_row == 2
        await pilot.press("U")
        await pilot.pause()
        assert pane.marked == set() and "0 marked" in str(app.query_one("#history-status").render())


@scenario
async def test_a_cell_that_grows_widens_its_column_before_any_row_is_drawn(store: RunStore):
    """The cursor row was once drawn with the old widths (`3  2026-11-3  mnist`) until the cursor
    moved: DataTable widens columns only when idle, after caching the rows drawn in between."""
    import dataclasses

    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.query_one(HistoryPane)
        table = pane.table
        before = table.columns["arch"].content_width
        grown = dataclasses.replace(pane.index.summaries[3], architecture="784-1024-1024-1024-10 relu")
        pane.index.apply([grown])
        pane._redraw()  # no pause: nothing idle has run yet
        assert table.columns["arch"].content_width == len("784-1024-1024-1024-10 relu") > before
