"""Snapshots of the history, the confusion pane and the compare screen over a store with fixed contents."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.app import App
from textual.containers import VerticalScroll

from runs.store import RunStore
from tui.screens.compare import CompareScreen
from tui.widgets.confusion_matrix import ConfusionMatrix
from tui.widgets.confusion_pane import ConfusionPane

from tui_history_helpers import PanesApp, fixed_store, settle

SIZE = (120, 36)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunStore:
    monkeypatch.setenv("TZ", "UTC")  # the history shows local time
    time.tzset()
    with fixed_store(tmp_path / "runs.sqlite3") as store:
        yield store
    monkeypatch.undo()
    time.tzset()


def test_history_snapshot(store: RunStore, snap_compare):
    async def mark_one(pilot):
        await settle(pilot)
        await pilot.press("down", "space", "s")
        await pilot.pause()
        await pilot.press(*["down"] * 6, "enter")  # the sort menu: last val, the best first
        await settle(pilot)

    assert snap_compare(PanesApp(store), terminal_size=SIZE, run_before=mark_one)


def test_confusion_pane_snapshot(store: RunStore, snap_compare):
    async def show_cell(pilot):
        await settle(pilot)
        pilot.app.query_one(ConfusionPane).show_run(2)
        pilot.app.query_one("TabbedContent").active = "confusion"
        pilot.app.query_one(ConfusionMatrix).focus()
        await pilot.press(*["down"] * 3, *["right"] * 8, "enter")  # true 3 -> predicted 8
        await settle(pilot)

    assert snap_compare(PanesApp(store), terminal_size=SIZE, run_before=show_cell)


class CompareApp(App):
    def __init__(self, store: RunStore) -> None:
        super().__init__()
        self.store = store

    def on_mount(self) -> None:
        self.push_screen(CompareScreen(self.store, [1, 2]))


def test_compare_screen_snapshot(store: RunStore, snap_compare):
    async def wait(pilot):
        await settle(pilot)

    assert snap_compare(CompareApp(store), terminal_size=SIZE, run_before=wait)


def test_compare_confusion_change_snapshot(store: RunStore, snap_compare):
    async def scroll_down(pilot):
        await settle(pilot)
        pilot.app.screen.query_one(VerticalScroll).scroll_end(animate=False)
        await pilot.pause()

    assert snap_compare(CompareApp(store), terminal_size=SIZE, run_before=scroll_down)
