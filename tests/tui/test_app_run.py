"""Training scenarios on a real MNIST subset: epoch rows, confusion matrix, cancel, quit, a dying child."""

from __future__ import annotations

import multiprocessing
import os
import signal

from app_driver import SIZE, make_app, pilot_test, run_to_end, small_config, wait_until
from textual.widgets import DataTable

from runs.store import RunStore
from tui.dialogs.confirm import ConfirmDialog
from tui.settings import load_options
from tui.widgets.confusion_pane import ConfusionPane


@pilot_test
async def test_short_run_shows_epochs_then_the_confusion_matrix(mnist_tui_home):
    config = small_config(limit=2000, epochs=2)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "completed", finished.message
        table = app.query_one("#metrics", DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(0)][0] == "1"
        run = app.store.get_run(finished.run_id)
        assert run.status == "completed" and len(run.epochs) == 2
        # the two rows show the stored numbers
        assert str(table.get_row_at(1)[6]) == f"{run.epochs[1]['test_acc']:.2%}"
        assert run.final["test_acc"] > 0.8  # learned far above chance
        pane = app.query_one(ConfusionPane)
        await wait_until(pilot, lambda: pane.run is not None, timeout=5)
        assert pane.run.id == finished.run_id
        assert pane.matrix_widget.matrix.sum() == 10000
        assert "Completed run" in str(app.query_one("#run-state").render())
        await pilot.press("f3")
        assert app.query_one("#tabs").active == "confusion"
    assert load_options()[0] == config  # the options used are remembered


@pilot_test
async def test_thread_runner_completes_the_same_run(mnist_tui_home):
    app = make_app(small_config(limit=1000, epochs=1), runner="thread")
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "completed", finished.message
        assert app.query_one("#metrics", DataTable).row_count == 1


def long_config():
    return small_config(limit=5000, epochs=1000, batch_size=8)  # minutes long: these tests stop it


@pilot_test
async def test_cancel_keeps_the_finished_epochs_as_cancelled(mnist_tui_home):
    app = make_app(long_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        table = app.query_one("#metrics", DataTable)
        await wait_until(pilot, lambda: table.row_count >= 1)
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.train_pane.running)
        finished = app.train_pane.last_finished
        assert finished.status == "cancelled"
        run = app.store.get_run(finished.run_id)
        assert run.status == "cancelled" and len(run.epochs) >= 1
        assert "Cancelled" in str(app.query_one("#run-state").render())
        assert not app.query_one("#start").disabled  # ready for the next run


@pilot_test
async def test_quit_during_a_run_asks_then_records_it_cancelled(mnist_tui_home):
    app = make_app(long_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.query_one("#metrics", DataTable).row_count >= 1)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # keep training
        await pilot.pause()
        assert app.train_pane.running and app.is_running
        await pilot.press("ctrl+q")
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)
    with RunStore.open() as store:
        (run,) = store.list_runs()
        assert run.status == "cancelled" and len(run.epochs) >= 1


@pilot_test
async def test_a_killed_training_process_is_reported_and_the_app_keeps_going(mnist_tui_home):
    app = make_app(long_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.query_one("#metrics", DataTable).row_count >= 1)
        (child,) = [p for p in multiprocessing.active_children() if p.name == "mnist-tui-run"]
        os.kill(child.pid, signal.SIGKILL)
        await wait_until(pilot, lambda: not app.train_pane.running)
        finished = app.train_pane.last_finished
        assert finished.status == "failed" and "ended unexpectedly" in finished.message
        assert "Failed" in str(app.query_one("#run-state").render())
        await wait_until(pilot, lambda: app.store.get_run(finished.run_id).status == "interrupted", timeout=5)
        assert len(app.store.get_run(finished.run_id).epochs) >= 1
        assert not app.query_one("#start").disabled


@pilot_test
async def test_quit_answered_after_the_run_ended_quits(mnist_tui_home):
    app = make_app(small_config(limit=20000, epochs=8))  # a few seconds
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "ctrl+q")  # asked while the child is still starting
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=5)
        await wait_until(pilot, lambda: not app.train_pane.running)  # ends while the question is open
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, timeout=10)
    assert app.store.list_runs()[0].status == "completed"


@pilot_test
async def test_a_flood_of_progress_never_drops_an_epoch_row(mnist_tui_home):
    from runs.events import BatchProgress, EpochDone, RunStarted
    from tui.messages import BatchProgressed, EpochCompleted, message_for

    assert BatchProgressed(BatchProgress(1, 1, 9, 1.0)).can_replace(BatchProgressed(BatchProgress(1, 2, 9, 1.0)))
    assert not BatchProgressed(BatchProgress(1, 1, 9, 1.0)).can_replace(EpochCompleted(EpochDone(1, {})))
    app = make_app(small_config(epochs=5))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.train_pane
        pane.run_panel.begin(5)
        pane.post_message(message_for(RunStarted(1, {}, {"name": "mnist"}, 2000, 1000, 10000)))
        record = {"train_loss": 0.5, "train_acc": 0.9, "val_loss": 0.4, "val_acc": 0.9,
                  "test_loss": 0.4, "test_acc": 0.9, "lr": 0.03, "seconds": 1.0}
        for epoch in range(1, 6):  # posted faster than the screen can draw
            for batch in range(1, 201):
                pane.post_message(message_for(BatchProgress(epoch, batch, 200, 1e5)))
            pane.post_message(message_for(EpochDone(1, dict(record, epoch=epoch))))
        await wait_until(pilot, lambda: app.query_one("#metrics", DataTable).row_count == 5, timeout=10)
        assert "epoch 5/5" in str(app.query_one("#run-stats").render())


@pilot_test
async def test_an_early_stopped_run_says_why_it_stopped(mnist_tui_home):
    config = small_config(limit=800, epochs=30, optimizer="adamw", learning_rate=0.01, schedule="constant",
                          early_stop=1, dropout=(0.2,), augment_shift=1)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "completed" and finished.final["epochs"] < 30
        message = str(app.query_one("#run-message").render())
        assert "test accuracy" in message and f"Stopped early after epoch {finished.final['epochs']} of 30" in message
