"""The Inside tab driven as a user would: F10, arrows and clicks on the weight tiles, drawing with the mouse and keys."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore
from tui.app import MnistTuiApp
from tui.widgets.digit_canvas import DigitCanvas
from tui.widgets.inside_pane import InsidePane
from tui.widgets.weight_tiles import WeightTiles

from app_driver import make_app, pilot_test, run_to_end, small_config, wait_until

SIZE = (160, 48)
SEVEN = [(x, 3) for x in range(8, 21)] + [(20 - i, 4 + i) for i in range(9)]
"""A 7 in canvas cells: a bar along row 3, then a diagonal down to the left."""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Run 1 learns; run 2 (learning rate 1) kills most of its ReLU units."""
    home = tmp_path_factory.mktemp("inside-tab")
    data = DataConfig(limit=5000, val_size=1000)
    with RunStore.open(home) as store:
        statuses = [execute_run(RunConfig(data=data, train=TrainConfig(epochs=epochs, learning_rate=lr)), store=store).status
                    for lr, epochs in ((None, 3), (1.0, 2))]
    assert statuses == ["completed", "completed"]
    return home


@pytest.fixture
def app(home, monkeypatch):
    monkeypatch.setenv("MNIST_TUI_HOME", str(home))
    return MnistTuiApp(RunStore.open(), runner="thread")


def _text(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def _draw(pilot, canvas, cells, button=1):
    x, y = cells[0]
    await pilot.mouse_down(canvas, offset=(1 + x, 1 + y), button=button)
    for x, y in cells[1:]:
        await pilot.hover(canvas, offset=(1 + x, 1 + y))
    await pilot.mouse_up(canvas, offset=(1 + x, 1 + y))
    await pilot.pause()


@pilot_test
async def test_f9_shows_the_latest_run_and_arrows_pick_units(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "inside"
        tiles = app.query_one(WeightTiles)
        assert app.focused is tiles and len(tiles.tiles) == 64
        assert _text(app, "#inside-title").startswith("run 2 · 784-64-10 relu · completed · epoch 2 of 2")
        await pilot.press("right", "right", "down")
        assert tiles.picked == 2 + tiles.columns and tiles.columns == 14  # 14 tiles a row at 160 columns
        assert _text(app, "#inside-unit").startswith(f"unit {3 + tiles.columns} of 64")
        await pilot.click(tiles, offset=(9 * 4 + 2, 5 + 2))  # the fifth tile of the second row
        assert tiles.picked == 14 + 4
        await pilot.press("left_square_bracket")
        assert _text(app, "#inside-title").startswith("run 1 ")


@pilot_test
async def test_at_80x24_the_tab_opens_at_its_top_and_the_picked_tile_stays_in_view(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        pane, tiles = app.query_one(InsidePane), app.query_one(WeightTiles)
        assert pane.scroll_y == 0  # the run's title and warnings show first
        await pilot.press(*["down"] * 12)
        await pilot.pause()
        row = tiles.picked // tiles.columns
        assert row == 12 and pane.scroll_y > 0
        top = tiles.content_region.y + row * 5  # the picked tile's first screen line
        assert pane.content_region.y <= top and top + 5 <= pane.content_region.bottom
        await pilot.press(*["up"] * 12)
        await pilot.pause()
        assert tiles.picked < tiles.columns and tiles.content_region.y >= pane.content_region.y


@pilot_test
async def test_the_dead_layer_is_named_with_advice(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        warning = _text(app, "#inside-warnings")
        assert "hidden layer 1:" in warning and "of its units are dead" in warning
        assert "lower the learning rate (now 1)" in warning
        await pilot.press("left_square_bracket")
        assert _text(app, "#inside-warnings") == ""


@pilot_test
async def test_drawing_a_seven_with_the_mouse_reads_seven_and_right_button_erases(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        app.query_one(InsidePane).show_run(1)
        canvas = app.query_one(DigitCanvas)
        await _draw(pilot, canvas, SEVEN)
        assert canvas.ink.sum() > 20 and app.focused is canvas
        assert _text(app, "#inside-probs").startswith("reads 7 (")
        before = canvas.ink.sum()
        await _draw(pilot, canvas, [(x, 3) for x in range(8, 21)], button=3)  # rub out the bar
        assert canvas.ink[6:8, 8:21].max() < 0.05 and canvas.ink.sum() < before
        await pilot.press("c")
        assert not canvas.ink.any()
        assert _text(app, "#inside-probs").startswith("draw a digit; run 1 reads it here")


@pilot_test
async def test_the_keyboard_draws_too(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10", "tab")  # from the weight tiles to the canvas
        canvas = app.query_one(DigitCanvas)
        assert app.focused is canvas
        await pilot.press(*["up"] * 8, "space")
        assert canvas.cursor == (6, 14) and canvas.ink[6, 14] == 1.0
        for _ in range(12):  # a vertical stroke: a 1
            await pilot.press("down", "space")
        assert canvas.ink[6:19, 14].min() == 1.0 and canvas.ink[:, :12].max() == 0.0
        assert _text(app, "#inside-probs").startswith("reads ")
        await pilot.press("c")
        assert not canvas.ink.any()


@pilot_test
async def test_the_typed_run_id_is_shown_and_a_wrong_one_refused(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        app.query_one("#inside-run").focus()
        await pilot.press("1", "enter")
        assert _text(app, "#inside-title").startswith("run 1 ")
        app.query_one("#inside-run").focus()
        await pilot.press("backspace", "9", "enter")
        await pilot.pause()
        assert _text(app, "#inside-title").startswith("run 1 ")
        assert any("No run with id '9'" in str(n.message) for n in app._notifications)


@pilot_test
async def test_f9_in_history_opens_the_run_picked_there(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause(0.3)
        history = app.query_one("HistoryPane")
        picked = history.current_run_id()
        await pilot.press("f10")
        assert app.query_one(InsidePane).run_id == picked


@pilot_test
async def test_a_training_run_is_followed_live(mnist_tui_home):
    app = make_app(small_config(limit=3000, epochs=2), runner="thread")
    seen = []
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(InsidePane)
        original = pane.epoch_done

        def spy(run_id, record, first_layer):
            seen.append((record["epoch"], None if first_layer is None else first_layer.copy()))
            original(run_id, record, first_layer)

        pane.epoch_done = spy
        finished = await run_to_end(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: pane.model is not None)
        assert pane.run_id == finished.run_id and [e for e, _ in seen] == [1, 2]
        assert not np.array_equal(seen[0][1], seen[1][1])  # the pictures changed between the epochs
        np.testing.assert_array_equal(seen[1][1], pane.model.weights[0])
        assert len(app.query_one(WeightTiles).tiles) == 64
        assert [len(e["layers"]) for e in pane.epochs] == [2, 2]


@pilot_test
async def test_the_command_palette_opens_the_inside_tab(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Inside")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.query_one("TabbedContent").active == "inside"
