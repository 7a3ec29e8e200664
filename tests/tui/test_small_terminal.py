"""Every tab is usable at 80x24 (the default of most terminals) and full at 160x48.

Snapshots of each tab at both sizes over a store with fixed contents, and checks that what a
tab is for stays on screen at 80x24: the run's state and curves, the run a matrix belongs to,
the history's test accuracy and status, the footer's keys.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from app_driver import pilot_test, wait_until
from test_studies_snapshots import fixed_study
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from runs.store import RunStore
from tui.app import MnistTuiApp
from tui.widgets.confusion_pane import ConfusionPane
from tui.widgets.studies_pane import StudiesPane

from tui_history_helpers import fixed_store, settle

SMALL, LARGE = (80, 24), (160, 48)
TABS = {"train": "f2", "confusion": "f3", "history": "f4", "studies": "f7"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three fixed runs and a fixed study, shown in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    home = tmp_path / "home"
    monkeypatch.setenv("MNIST_TUI_HOME", str(home))
    home.mkdir()
    fixed_store(home / "runs.sqlite3").close()
    fixed_study()
    with sqlite3.connect(home / "runs.sqlite3") as db:  # the study's runs: fixed times, a well-formed source
        db.execute("UPDATE runs SET started_at = '2026-03-04T05:06:07+00:00', ended_at = '2026-03-04T05:09:07+00:00', "
                   "dataset = ? WHERE id > 3", (json.dumps({"source": {"kind": "env", "path": "/data"}, "checksums": {}}),))
    db.close()
    yield home
    monkeypatch.undo()
    time.tzset()


def _app() -> MnistTuiApp:
    return MnistTuiApp(RunStore.open(), runner="process")


async def _show(pilot, tab: str) -> None:
    await settle(pilot)
    await pilot.press(TABS[tab])
    if tab == "confusion":
        pilot.app.query_one(ConfusionPane).show_run(2)
    if tab == "studies":
        pane = pilot.app.query_one(StudiesPane)
        await wait_until(pilot, lambda: pane.view.detail is not None, 20)
    await settle(pilot, 0.3)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
@pytest.mark.parametrize("tab", list(TABS))
def test_each_tab_at_both_sizes(home, snap_compare, tab, size):
    async def show(pilot):
        await _show(pilot, tab)

    assert snap_compare(_app(), terminal_size=size, run_before=show)


def _on_screen(widget: Widget) -> bool:
    """Drawn whole inside the terminal (not cut off, not pushed out)."""
    region, screen = widget.region, widget.screen.region
    return bool(region.area) and screen.contains_region(region)


def _footer_fits(app) -> bool:
    keys = [k for k in app.screen.query(FooterKey) if k.display and "-command-palette" not in k.classes]
    palette = app.screen.query_one("FooterKey.-command-palette")
    return bool(keys) and max(k.region.right for k in keys) <= palette.region.x


@pytest.mark.parametrize("size", [(120, 36), LARGE], ids=["120x36", "160x48"])
def test_every_footer_fits_beside_the_palette_key(home, size):
    @pilot_test
    async def scenario():
        app = _app()
        async with app.run_test(size=size) as pilot:
            for tab in TABS:
                await _show(pilot, tab)
                assert _footer_fits(app), tab
            assert [str(t.label) for t in app.query("Tab")] == ["Train F2", "Confusion F3", "History F4", "Studies F7", "Inside F10"]

    scenario()


@pilot_test
async def test_at_80x24_what_each_tab_is_for_stays_on_screen(home):
    app = _app()
    async with app.run_test(size=SMALL) as pilot:
        await _show(pilot, "train")
        assert _on_screen(app.query_one("#run-state")) and "Ready" in str(app.query_one("#run-state").render())
        assert _on_screen(app.query_one("#curves")) and app.query_one("#loss-plot").region.height >= 4
        metrics = app.query_one("#metrics")
        assert sum(column.get_render_width(metrics) for column in metrics.columns.values()) <= metrics.region.width
        await _show(pilot, "history")
        table = app.query_one("#history-table")
        assert {"test", "status"} <= {key.value for key in table.columns}
        widths = sum(column.get_render_width(table) for column in table.columns.values())
        assert widths <= table.region.width  # test accuracy and status are not scrolled out of sight
        for tab in TABS:  # the footer's keys fit beside the palette key, on every tab
            await _show(pilot, tab)
            assert _footer_fits(app), tab
        await _show(pilot, "confusion")
        info = app.query_one("#confusion-info")
        assert _on_screen(info) and "Run 2" in str(info.render())
