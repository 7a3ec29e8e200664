"""The dashboard shows stored strings as text: escape sequences made visible, markup never parsed
(a stored `[/]` crashed the history table, the compare screen and the confusion pane's messages)."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input
from textual.widgets._toast import Toast

from hostile_store import HOSTILE, MARKUP_SHOWN, SHORT, assert_no_raw_controls, poison
from runs.events import RunFinished
from runs.store import RunStore
from tui.app import MnistTuiApp, run_dashboard
from tui.dialogs.confirm import ConfirmDialog
from tui.messages import RunEnded
from tui.screens.compare import CompareScreen
from tui.widgets.confusion_pane import ConfusionPane
from tui.widgets.run_panel import RunPanel

from app_driver import make_app
from tui_history_helpers import SMALL, SMALL_SGD, PanesApp, real_runs, scenario, settle

SIZE = (200, 50)
SHORT_SHOWN = "[link=http://e.x]L[/link][/]\\x1b[31m\\u202e"
"""SHORT as it must read on screen."""


def screen_text(app: App) -> str:
    """What the terminal would show, as plain text (the way `export_screenshot` renders the screen)."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def rendered(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    """Two real runs: run 1 with hostile free text, run 2 also with hostile option names."""
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        real_runs(store, SMALL, SMALL_SGD)
        poison(store.path, 1)
        poison(store.path, 2, config_strings=SHORT)
        yield store


@scenario
async def test_history_compare_and_delete_dialog_show_stored_text_literally(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one("#history-table", DataTable)
        assert SHORT_SHOWN in str(table.get_cell("2", "options"))  # quoted in what makes run 2 damaged
        assert str(table.get_cell("2", "status")) == "damaged"
        screen = screen_text(app)
        assert_no_raw_controls(screen)
        assert SHORT_SHOWN in screen

        await pilot.press("d")  # the cursor is on run 2 (newest first)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert SHORT_SHOWN in rendered(app, "#confirm-body")
        assert_no_raw_controls(screen_text(app))
        await pilot.press("n")
        await settle(pilot)

        await pilot.press("space", "space", "c")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert SHORT_SHOWN in rendered(app, "#compare-problems")  # run 2 is damaged: not compared, named
        await pilot.press("a")  # every setting, so the (equal) data folders are listed too
        await settle(pilot)
        config = app.screen.query_one("#compare-config", DataTable)
        values = {str(config.get_cell_at((row, 0))): str(config.get_cell_at((row, 1))) for row in range(config.row_count)}
        assert values["data.data_dir"].startswith(f"boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}")
        screen = screen_text(app)
        assert_no_raw_controls(screen)
        assert SHORT_SHOWN in screen


@scenario
async def test_confusion_pane_error_quoting_a_stored_folder_is_text(store: RunStore):
    """Listing a cell's images reads the run's stored data folder; the error naming it is shown as text."""
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # run 1: a valid config whose data folder is hostile
        await settle(pilot)
        await pilot.press("enter")  # the first cell of the matrix
        await settle(pilot, 0.3)
        title = rendered(app, "#digit-title")
        assert "Cannot list the images" in title  # (the path is normalised: http:/evil.example)
        assert "boom\\x1b]0;pwned\\x07 [link=http:/evil.example]click[/link] [red]red[/] [/] \\x9b2J" in title
        assert_no_raw_controls(screen_text(app))

        with sqlite3.connect(store.path) as conn:  # a run that ended before its evaluation shows its message
            conn.execute("UPDATE runs SET confusion = NULL WHERE id = 1")
        conn.close()
        app.query_one(ConfusionPane).show_run(1)
        await settle(pilot)
        assert f"before its evaluation (boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}" in rendered(app, "#confusion-info")
        assert_no_raw_controls(screen_text(app))


@scenario
async def test_markup_typed_into_the_history_filter_is_quoted_literally(store: RunStore):
    app = PanesApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"[/]:x")
        await settle(pilot)
        assert "unknown field: [/]" in rendered(app, "#history-status")


class PanelApp(App):
    def compose(self) -> ComposeResult:
        yield RunPanel()


@scenario
async def test_a_failed_run_message_is_shown_as_text():
    """A run's message can quote stored text (a data folder, a file name): the panel shows it literally."""
    app = PanelApp()
    async with app.run_test(size=(120, 20)) as pilot:
        app.query_one(RunPanel).finished(RunFinished(7, "failed", HOSTILE))
        await pilot.pause()
        assert f"boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}" in rendered(app, "#run-message")
        assert_no_raw_controls(screen_text(app))


@scenario
async def test_the_dashboard_notifies_a_failed_run_message_as_text(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.train_pane.post_message(RunEnded(RunFinished(None, "failed", HOSTILE)))
        await settle(pilot)
        screen = screen_text(app)
        assert_no_raw_controls(screen)
        assert "Run failed" in screen and app.is_running
        toasts = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert toasts and f"boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}" in toasts[0]
        assert f"boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}" in rendered(app, "#run-message")


@scenario
async def test_markup_typed_into_an_option_is_quoted_literally(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#opt-epochs")
        field = app.query_one("#opt-epochs", Input)
        await pilot.press("end", *["backspace"] * len(field.value), *"[/]")
        await pilot.pause()
        assert rendered(app, "#options-error").startswith("Epochs: '[/]'")


def test_a_damaged_dashboard_json_is_reported_as_text(mnist_tui_home, monkeypatch):
    """The start-up notice quotes the file's bad value; run through the real `run_dashboard`."""
    mnist_tui_home.mkdir(parents=True)
    (mnist_tui_home / "dashboard.json").write_text(json.dumps({"options": {"train": {"optimizer": SHORT}}}))
    toasts: list[str] = []

    def run_headless(app: MnistTuiApp) -> int:
        async def drive() -> None:
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                await settle(pilot)
                toasts.extend(str(toast.render()) for toast in app.screen.query(Toast))
                assert_no_raw_controls(screen_text(app))

        asyncio.run(drive())
        return 0

    monkeypatch.setattr(MnistTuiApp, "run", run_headless)
    assert run_dashboard() == 0
    assert len(toasts) == 1 and "optimizer: got '[link=http://e.x]L[/link][/]" in toasts[0]
