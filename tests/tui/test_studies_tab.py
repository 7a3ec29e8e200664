"""The Studies tab in the real dashboard, driven by keys at 80x24 and 160x48, on real (tiny) studies.

Studies are run with the real backend (runs.study_runner on the local process pool) on 500 MNIST
images for one epoch, so a trial takes about a second.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from app_driver import make_app, pilot_test, small_config, wait_until
from textual.widgets import DataTable, Input, TabbedContent

from runs.local_executor import LocalPoolExecutor
from runs.store import RunStore
from runs.study_results import trial_score
from runs.study_runner import run_study
from runs.study_spec import StudySpec
from runs.study_store import create_study, get_study, study_runs
from tui.dialogs.study_dialog import StudyDialog
from tui.screens.compare import CompareScreen
from tui.widgets.parallel_coords import ParallelCoords
from tui.widgets.studies_pane import StudiesPane

SMALL, LARGE = (80, 24), (160, 48)
NAME = "[bold red]depth[/] \x1b[31mtest"
"""A stored name with Rich markup and an escape sequence: it must show as the text it is."""
SHOWN = "[bold red]depth[/] \\x1b[31mtest"
"""The name as the list shows it: the markup as typed, the escape character made visible (not obeyed)."""


def tiny_spec(**vary: list) -> StudySpec:
    base = small_config(limit=500, epochs=1).to_dict()
    return StudySpec(base=base, vary=vary or {"hidden-layers": [0, 1]}, seeds=[0], name=NAME)


def run_tiny_study(store: RunStore, spec: StudySpec) -> int:
    study_id = create_study(store, spec, spec.count())
    executor = LocalPoolExecutor(2)
    try:
        outcome = run_study(store, study_id, executor)
    finally:
        executor.close()
    assert outcome.status == "completed", outcome
    return study_id


CREATE_IN_ANOTHER_PROCESS = """
from runs.store import RunStore
from runs.study_store import create_study
from test_studies_tab import tiny_spec
with RunStore.open() as store:
    print(create_study(store, tiny_spec(), 2))
"""


def cells(table: DataTable, row: int) -> list[str]:
    return [cell.plain for cell in table.get_row_at(row)]


@pytest.mark.parametrize("size", [SMALL, LARGE])
@pilot_test
async def test_f7_shows_a_study_made_by_the_backend_with_its_results(size, mnist_tui_home: Path):
    with RunStore.open() as store:
        study_id = run_tiny_study(store, tiny_spec())
        runs = study_runs(store, study_id)
    app = make_app(small_config(limit=500, epochs=1))
    async with app.run_test(size=size) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        await wait_until(pilot, lambda: pane.view.detail is not None, 30)
        assert app.query_one(TabbedContent).active == "studies"
        assert app.focused is pane.list_table
        row = cells(pane.list_table, 0)
        assert row[0] == str(study_id) and row[4] == SHOWN  # shown literally, markup and all
        assert row[1] == "completed" and row[2] == "2/2"
        best = max(trial_score(r) for r in runs)
        assert row[3] == f"{100 * best:.2f}%"  # one seed: the winner's mean is its trial's kept weights' val acc

        view = pane.view
        trials = view.table
        assert trials.row_count == 2
        assert {cells(trials, i)[1] for i in range(2)} == {str(r.id) for r in runs}
        assert all(cells(trials, i)[-1] == "completed" for i in range(2))
        assert view.detail.results.winner is not None
        plot = app.query_one(ParallelCoords)
        assert len(plot.lines) == 2 and all(line.value is not None for line in plot.lines)
        assert [axis.name for axis in plot.axes] == ["hidden-layers", "val acc"]
        if size == SMALL:  # one section at a time: v shows the leaderboard, then the plot
            assert not plot.display
            await pilot.press("v")
            leaderboard = app.query_one("#leaderboard", DataTable)
            assert leaderboard.display and leaderboard.row_count == 2
            await pilot.press("v")
            assert plot.display and plot.size.height >= 6
        else:  # everything at once
            assert plot.display and app.query_one("#leaderboard", DataTable).row_count == 2
        assert "winner" in cells(app.query_one("#leaderboard", DataTable), 0)[2]


@pilot_test
async def test_a_study_started_from_the_dialog_runs_to_completion(mnist_tui_home: Path):
    app = make_app(small_config(limit=500, epochs=1), study_workers=2)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, StudyDialog)
        assert app.focused.id == "study-seeds"
        await pilot.press("backspace", "1")  # one seed
        for _ in range(5):  # Seeds -> Dataset -> Train subset -> Validation -> Normalization -> Hidden layers
            await pilot.press("down")
        assert app.focused.id == "study-layers"
        await pilot.press("end", "comma", "0")
        assert app.focused.value == "1,0"
        await wait_until(pilot, lambda: dialog.spec is not None, 10)
        assert dialog.trials == 2
        summary = str(dialog.query_one("#study-summary").render())
        assert "2 trials" in summary and "1 option varied" in summary
        await pilot.press("enter")

        await wait_until(pilot, lambda: pane.last_outcome is not None, 120)
        assert pane.last_outcome.status == "completed", pane.last_outcome
        await wait_until(pilot, lambda: pane.view.detail is not None and pane.view.detail.study.status == "completed")
        detail = pane.view.detail
        assert detail.spec.vary == {"hidden-layers": [1, 0]}
        assert [r.status for r in detail.rows] == ["completed", "completed"]
        assert len(detail.results.leaderboard) == 2 and detail.results.winner is not None
        assert cells(pane.list_table, 0)[2] == "2/2"

        await pilot.press("enter")  # from the list into the trials table
        assert app.focused is pane.view.table
        await pilot.press("space", "space", "c")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert app.screen.run_ids == sorted(r.run_id for r in detail.rows)


@pilot_test
async def test_a_bad_value_in_the_dialog_is_named_and_nothing_starts(mnist_tui_home: Path):
    app = make_app(small_config(limit=500, epochs=1))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f7", "n")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#study-optimizer", Input).value = "sgd,adagrad"
        await pilot.pause()
        assert "Optimizer: 'adagrad' is not valid" in str(dialog.query_one("#study-error").render())
        assert dialog.query_one("#row-optimizer").has_class("-invalid")
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen is dialog and app.query_one(StudiesPane).job is None
        await pilot.press("escape")
        assert not isinstance(app.screen, StudyDialog)
        assert app.store.list_runs() == []


@pilot_test
async def test_cancel_keeps_the_study_resumable_and_resume_finishes_it_without_doubles(mnist_tui_home: Path):
    config = small_config(limit=1000, epochs=100)  # over 3 s per trial on an idle machine: time to press x
    spec = StudySpec(base=config.to_dict(), vary={"optimizer": ["sgd", "momentum"]}, seeds=[0, 1])
    app = make_app(config, study_workers=2)
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        pane.start(spec=spec)
        await wait_until(pilot, lambda: pane.view.detail is not None
                         and any(r.epoch >= 1 for r in pane.view.detail.rows), 60)
        await pilot.press("x")
        await wait_until(pilot, lambda: pane.last_outcome is not None, 60)
        assert pane.last_outcome.status == "cancelled"
        study_id = pane.last_outcome.study_id
        store = app.store  # not a second connection: see tui.study_job
        assert get_study(store, study_id).status == "cancelled"
        statuses = [r.status for r in study_runs(store, study_id)]
        assert "cancelled" in statuses and "running" not in statuses and len(statuses) < 4

        pane.last_outcome = None
        await pilot.press("r")
        await wait_until(pilot, lambda: pane.last_outcome is not None, 180)
        assert pane.last_outcome.status == "completed"
        runs = study_runs(store, study_id)
        assert sorted(r.trial_key for r in runs) == sorted(t.key for t in spec.trials())  # each trial once
        assert {r.status for r in runs} == {"completed"}


@pilot_test
async def test_a_study_recorded_by_another_process_shows_up_live(mnist_tui_home: Path):
    app = make_app(small_config(limit=500, epochs=1))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        await pilot.pause(0.2)
        assert pane.list_table.row_count == 0
        other = subprocess.run(  # another process, as `mnist-tui study run` in another terminal
            [sys.executable, "-c", CREATE_IN_ANOTHER_PROCESS], capture_output=True, text=True, timeout=60,
            cwd=Path(__file__).parent, check=True)
        study_id = int(other.stdout)
        await wait_until(pilot, lambda: pane.list_table.row_count == 1, 10)
        assert cells(pane.list_table, 0)[0] == str(study_id)
        assert cells(pane.list_table, 0)[2] == "0/2"


@pilot_test
async def test_quitting_while_a_study_runs_asks_then_cancels_it_and_quits_once_recorded(mnist_tui_home: Path):
    config = small_config(limit=1000, epochs=300)  # ten seconds or more per trial: it is cancelled long before
    app = make_app(config, study_workers=1)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        pane.start(spec=StudySpec(base=config.to_dict(), vary={"optimizer": ["sgd", "momentum"]}, seeds=[0]))
        await wait_until(pilot, lambda: pane.view.detail is not None
                         and any(r.epoch >= 1 for r in pane.view.detail.rows), 60)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and "study" in str(app.screen.query_one("#confirm-title").render()).lower()
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, 60)
    study = get_study(app.store, pane.last_outcome.study_id)
    assert study.status == "cancelled"
    assert [r.status for r in study_runs(app.store, study.id)] == ["cancelled"]  # the second trial never started


@pilot_test
async def test_a_study_with_a_spec_this_version_cannot_use_is_named_and_the_others_still_show(mnist_tui_home: Path):
    with RunStore.open() as store:
        good = create_study(store, tiny_spec(), 2)
        bad = create_study(store, tiny_spec(optimizer=["sgd", "momentum"]), 2)
        path = store.path
    with sqlite3.connect(path) as conn:  # as a damaged or foreign store file would hold it
        conn.execute("UPDATE studies SET spec = ? WHERE id = ?", ('{"base": {"train": {"epochs": "many"}}}', bad))
    app = make_app(small_config(limit=500, epochs=1))
    async with app.run_test(size=LARGE) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        await wait_until(pilot, lambda: pane.list_table.row_count == 2, 10)
        rows = {cells(pane.list_table, i)[0]: cells(pane.list_table, i) for i in range(2)}
        assert "cannot use" in rows[str(bad)][5] and "epochs" in rows[str(bad)][5]
        assert rows[str(good)][5] == "hidden-layers×2 · 1 seed"
        await pilot.press("down")  # the older, readable study: its trials are shown
        await wait_until(pilot, lambda: pane.view.detail is not None and pane.view.detail.study.id == good, 10)
        assert pane.view.table.row_count == 2
        with sqlite3.connect(path) as conn:  # not even JSON: the tab says so instead of crashing
            conn.execute("UPDATE studies SET spec = 'not json' WHERE id = ?", (bad,))
        status = app.query_one("#studies-status")
        await wait_until(pilot, lambda: "cannot be read" in str(status.render()), 10)
        assert app.is_running


@pilot_test
async def test_enter_on_a_study_goes_to_its_trials_from_any_section_at_80x24(mnist_tui_home: Path):
    with RunStore.open() as store:
        create_study(store, tiny_spec(), 2)
    app = make_app(small_config(limit=500, epochs=1))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f7")
        pane = app.query_one(StudiesPane)
        await wait_until(pilot, lambda: pane.view.detail is not None, 10)
        await pilot.press("v", "v", "escape")  # the plot, then back to the list
        assert app.focused is pane.list_table and not pane.view.table.display
        await pilot.press("enter")
        assert pane.view.table.display and app.focused is pane.view.table
