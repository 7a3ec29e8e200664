"""The run panel's speed line: no invented speed on an epoch's first batch, none left after a failure."""

from __future__ import annotations

from app_driver import pilot_test
from textual.app import App, ComposeResult
from textual.widgets import Static

from runs.events import BatchProgress, RunFinished, RunStarted
from tui.widgets.run_panel import RunPanel


class PanelApp(App):
    def compose(self) -> ComposeResult:
        yield RunPanel(clock=lambda: 10.0)


def _stats(app: App) -> str:
    return str(app.query_one("#run-stats", Static).render())


@pilot_test
async def test_first_batch_shows_no_speed_and_a_divergence_clears_the_line():
    app = PanelApp()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(RunPanel)
        panel.begin(5)
        panel.run_started(RunStarted(7, {}, {"name": "mnist"}, 100, 10, 10))
        panel.batch_progress(BatchProgress(1, 1, 1719, None))
        await pilot.pause()
        assert "… samples/s" in _stats(app) and "ETA …" in _stats(app)
        panel.batch_progress(BatchProgress(1, 2, 1719, 68_746.0))
        await pilot.pause()
        assert "68,746 samples/s" in _stats(app)
        panel.finished(RunFinished(7, "diverged", "loss became NaN"))
        await pilot.pause()
        assert _stats(app) == ""
