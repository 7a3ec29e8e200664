"""Long messages are read whole: the options' error line, the export dialog, the run panel at 80x24."""

from __future__ import annotations

from pathlib import Path

from app_driver import make_app, pilot_test
from rich.text import Text
from textual.widgets import Input, Static

from tui.widgets.export_dialog import ExportDialog
from tui.widgets.options_panel import OptionsPanel

SMALL = (80, 24)
BAD = ("0", "-1", "abc", "1e999", "0.5.5", "x" * 60, "99999999999", "1,0,")


def _lines(widget: Static, text: str) -> int:
    return len(Text(text).wrap(widget.app.console, widget.content_region.width))


@pilot_test
async def test_every_options_error_fits_its_line_at_80x24(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        panel = app.query_one(OptionsPanel)
        line = app.query_one("#options-error", Static)
        seen = 0
        for field in panel.query(Input):
            if field.disabled:
                continue
            before = field.value
            for bad in BAD:
                field.value = bad
                await pilot.pause()
                if panel.error:
                    seen += 1
                    assert _lines(line, panel.error) <= line.content_region.height, panel.error
            field.value = before
            await pilot.pause()
        assert seen > 20  # many fields refused many values


@pilot_test
async def test_the_export_dialogs_message_wraps_whole(mnist_tui_home, tmp_path):
    existing = tmp_path / ("a-rather-long-folder-name-for-exports-" * 2) / "mnist-tui-run-3.csv"
    existing.parent.mkdir()
    existing.write_text("x")
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.push_screen(ExportDialog("Export run 3", existing))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        error = app.screen.query_one("#export-error")
        text = str(error.render())
        assert "already exists" in text and text.endswith("(nothing is overwritten)")
        assert _lines(error, text) <= error.content_region.height  # no line cut at the dialog's edge
        assert app.screen.query_one("Vertical").region.contains_region(error.region)


@pilot_test
async def test_the_missing_data_message_scrolls_whole_at_80x24(mnist_tui_home, tmp_path, monkeypatch):
    from app_driver import small_config

    monkeypatch.setenv("MNIST_TUI_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = make_app(small_config())
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("n")  # not now: the panel says how to supply the files
        await pilot.pause()
        assert "copy them into" in str(app.query_one("#run-message", Static).render())
        box = app.query_one("#run-message-box")
        assert box.virtual_size.height > box.region.height  # longer than the room it has here...
        box.scroll_end(animate=False)
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y > 0  # ...so it scrolls to its last line
        assert app.query_one("#curves").region.height >= 8  # and the curves keep their place
