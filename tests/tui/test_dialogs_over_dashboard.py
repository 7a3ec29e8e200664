"""Dialogs are drawn over the dimmed dashboard, not over a blank screen."""

from __future__ import annotations

from app_driver import SIZE, make_app, pilot_test

from tui.dialogs.confirm import ConfirmDialog


@pilot_test
async def test_a_dialog_leaves_the_dashboard_visible_underneath(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmDialog("Quit while run 3 trains?", "It will be cancelled first."))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert 0 < app.screen.styles.background.a < 1  # a see-through dimming layer
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "Quit while run 3 trains?" in shown
        assert "Start  F5" in shown and "Hidden layers" in shown  # the Train tab still shows beneath
