"""Error scenarios: missing data offers the download, bad data and divergence are shown, the app keeps going."""

from __future__ import annotations

from app_driver import SIZE, make_app, pilot_test, run_to_end, small_config, wait_until

from data.registry import get_spec
from tui.dialogs.confirm import ConfirmDialog


@pilot_test
async def test_missing_data_offers_the_download_and_says_where_files_go(mnist_tui_home, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_TUI_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = make_app(small_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        body = str(app.screen.query_one("#confirm-body").render())
        assert "Download" in body and str(tmp_path / "cache") in body
        await pilot.press("n")
        await pilot.pause()
        message = str(app.query_one("#run-message").render())
        assert "train-images-idx3-ubyte.gz" in message and "--data-dir" in message
        # the dashboard's own ways to point at a folder, not only the train command's flag
        assert "mnist-tui --data-dir DIR" in message and "MNIST_TUI_DATA=ROOT" in message
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "copy them into" in shown  # the message is read whole, not cut off
        assert not app.train_pane.running and app.store.list_runs() == []
        assert not app.query_one("#start").disabled


@pilot_test
async def test_unreadable_data_files_fail_the_run_with_the_file_named(mnist_tui_home, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for filename in get_spec("mnist").files.values():
        (folder / filename).write_bytes(b"not an idx file")
    app = make_app(small_config(), data_dir=str(folder))
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "failed" and finished.run_id is None
        message = str(app.query_one("#run-message").render())
        assert str(folder) in message or "idx3-ubyte" in message
        assert "Failed" in str(app.query_one("#run-state").render())
        assert app.is_running and app.store.list_runs() == []


@pilot_test
async def test_a_diverging_run_shows_the_engine_message(mnist_tui_home):
    app = make_app(small_config(limit=500, epochs=1, learning_rate=1e30))
    async with app.run_test(size=SIZE) as pilot:
        finished = await run_to_end(pilot)
        assert finished.status == "diverged"
        message = str(app.query_one("#run-message").render())
        assert "diverged" in message and "learning rate" in message
        await wait_until(pilot, lambda: app.store.get_run(finished.run_id).status == "diverged", timeout=5)


@pilot_test
async def test_download_progress_is_shown_per_file(mnist_tui_home):
    from runs.events import DataProgress
    from tui.messages import message_for

    app = make_app(small_config())
    async with app.run_test(size=SIZE) as pilot:
        pane = app.train_pane
        pane.run_panel.begin(2)
        pane.post_message(message_for(DataProgress("download train-images-idx3-ubyte.gz", 4_000_000, 9_912_422)))
        await pilot.pause()
        assert str(app.query_one("#run-state").render()) == "Downloading train-images-idx3-ubyte.gz  40%"
        assert app.query_one("#epoch-bar").percentage == 4_000_000 / 9_912_422
