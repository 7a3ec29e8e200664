"""Keyboard first: every dashboard action has a described binding, reachable from the command palette."""

from __future__ import annotations

from app_driver import SIZE, make_app, pilot_test, small_config, wait_until
from textual.binding import Binding
from textual.widgets._footer import FooterKey


@pilot_test
async def test_function_keys_switch_tabs_and_every_action_is_in_the_palette(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.query_one("#tabs")
        for key, tab, focused in (("f4", "history", "history-table"), ("f3", "confusion", "confusion-matrix"),
                                  ("f2", "train", "opt-dataset")):
            await pilot.press(key)
            assert tabs.active == tab and app.focused.id == focused  # keys act in the tab shown
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for binding in app.BINDINGS:
            assert isinstance(binding, Binding) and binding.description and binding.tooltip
            assert binding.action == "quit" or binding.description in titles
        await pilot.press("f4")  # the history pane's own actions join the palette while it has the keys
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"History: Compare", "History: Delete", "History: Export", "History: Filter"} <= titles
        commands = list(app.get_system_commands(app.screen))
        helps = {command.title: command.help for command in commands}
        assert not [help for help in helps.values() if help.startswith("key:")]  # every entry says what it does
        assert helps["History: Sort"] == "Choose the column to sort by (again: reverse it) (s)"
        assert helps["History: Filter"].endswith("(/)")
        # Textual's own Quit ("as soon as possible") is replaced by ours, which asks while a run trains
        assert [c.help for c in commands if c.title == "Quit"] == ["Quit (asks first while a run is going) (Ctrl+Q)"]
        assert "Maximize" not in helps and "Theme" in helps
        await pilot.press("f2")
        await pilot.press("ctrl+p")
        await pilot.press(*"Start")
        await pilot.pause(0.3)
        assert "Start" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)


@pilot_test
async def test_focus_moves_through_the_options_in_reading_order(mnist_tui_home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seen = []  # the app starts on the first option
        for _ in range(4):
            seen.append(app.focused.id)
            await pilot.press("tab")
        assert seen == ["opt-dataset", "opt-limit", "opt-val_size", "opt-normalization"]


@pilot_test
async def test_footer_shows_which_of_start_and_cancel_apply(mnist_tui_home):
    app = make_app(small_config(limit=5000, epochs=5))

    def dimmed(action: str) -> bool | None:
        """Whether the footer shows `action` dimmed (None before the footer has its keys)."""
        key = next((key for key in app.query(FooterKey) if key.action == action), None)
        return None if key is None else key.has_class("-disabled")

    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("start_run", ()) and not app.check_action("cancel_run", ())
        await wait_until(pilot, lambda: dimmed("start_run") is False and dimmed("cancel_run") is True)
        await pilot.click("#start")  # the mouse starts a run too
        await wait_until(pilot, lambda: app.train_pane.running, timeout=5)
        assert not app.check_action("start_run", ()) and app.check_action("cancel_run", ())
        # the footer is rebuilt only when its keys change, and this is such a change
        await wait_until(pilot, lambda: dimmed("start_run") is True and dimmed("cancel_run") is False)
        await wait_until(pilot, lambda: not app.train_pane.running)
        assert app.check_action("start_run", ())
