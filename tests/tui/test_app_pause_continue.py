"""Pause / Resume of the running run (F9) and Continue from History (u), in the real dashboard."""

from __future__ import annotations

import threading
import time

from textual.widgets import DataTable

from app_driver import SIZE, make_app, pilot_test, small_config, wait_until
from runs.events import EpochDone
from runs.service import execute_run
from runs.store import RunStore


@pilot_test
async def test_pause_holds_the_child_between_batches_and_resume_goes_on(mnist_tui_home):
    app = make_app(small_config(limit=5000, epochs=1000, batch_size=8))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        table = app.query_one("#metrics", DataTable)
        await wait_until(pilot, lambda: table.row_count >= 1)
        await pilot.press("f9")
        await pilot.pause()
        panel = app.train_pane.run_panel
        assert panel.state == "paused" and "Paused" in str(app.query_one("#run-state").render())
        assert str(app.query_one("#pause").label).startswith("Resume")
        await pilot.pause(1.0)  # the child finishes the batch it is in, then waits
        run_id = app.train_pane._run_id
        held = len(app.store.get_run(run_id).epochs)
        await pilot.pause(2.0)  # an unpaused run of 5,000 images finishes epochs in well under a second each
        assert len(app.store.get_run(run_id).epochs) == held

        await pilot.press("f9")
        await pilot.pause()
        assert panel.state == "training"
        await wait_until(pilot, lambda: len(app.store.get_run(run_id).epochs) > held)
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.train_pane.running)
        assert app.train_pane.last_finished.status == "cancelled"


@pilot_test
async def test_continue_from_history_finishes_a_cancelled_run_in_place(mnist_tui_home):
    cancel = threading.Event()

    def stop_after_first(event):
        if isinstance(event, EpochDone):
            cancel.set()

    with RunStore.open() as store:
        stopped = execute_run(small_config(limit=1000, epochs=3), store=store, on_event=stop_after_first, cancel=cancel)
    assert stopped.status == "cancelled"

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("u")
        await wait_until(pilot, lambda: app.train_pane.last_finished is not None and not app.train_pane.running)
        finished = app.train_pane.last_finished
        assert finished.status == "completed" and finished.run_id == stopped.run_id
        run = app.store.get_run(stopped.run_id)
        assert run.status == "completed" and [e["epoch"] for e in run.epochs] == [1, 2, 3]
        assert app.query_one("#metrics", DataTable).row_count == 3  # the earlier epoch and the new ones

        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("u")  # nothing left to train: said, nothing started
        await pilot.pause()
        assert not app.train_pane.running
        assert any("nothing to train" in str(n.message) for n in app._notifications)
