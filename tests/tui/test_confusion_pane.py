"""The confusion pane on a real run: keys and mouse over the matrix, a cell's test images predicted again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data.loader import load_dataset
from runs.store import RunStore
from tui.widgets.confusion_matrix import ConfusionMatrix, recall_precision
from tui.widgets.confusion_pane import MAX_IMAGES, ConfusionPane
from tui.widgets.digit_view import DigitCard

from tui_history_helpers import SMALL, PanesApp, fixed_store, real_runs, scenario, settle

SIZE = (120, 36)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A store holding one real run (1,000 MNIST images, one epoch) with its model file."""
    path = tmp_path_factory.mktemp("confusion") / "runs.sqlite3"
    with RunStore.open(path) as store:
        (run_id,) = real_runs(store, SMALL)
    return path, run_id


def worst_mistake(confusion: list[list[int]]) -> tuple[int, int]:
    off = np.array(confusion)
    np.fill_diagonal(off, -1)
    return tuple(int(i) for i in np.unravel_index(off.argmax(), off.shape))


async def open_run(pilot, run_id: int) -> ConfusionPane:
    pane = pilot.app.query_one(ConfusionPane)
    pane.show_run(run_id)
    pilot.app.query_one(ConfusionMatrix).focus()
    await pilot.pause()
    return pane


def test_recall_and_precision_margins():
    matrix = np.array([[8, 2], [1, 9]])
    recall, precision = recall_precision(matrix)
    assert recall.tolist() == [0.8, 0.9]
    assert precision.tolist() == pytest.approx([8 / 9, 9 / 11])
    recall, precision = recall_precision(np.array([[0, 0], [0, 3]]))
    assert np.isnan(recall[0]) and np.isnan(precision[0])


@scenario
async def test_fashion_class_names_label_rows_and_columns():
    from textual.app import App

    from tui.run_summary import class_names

    matrix = np.arange(100).reshape(10, 10)

    class MatrixApp(App):
        def compose(self):
            yield ConfusionMatrix(matrix, class_names("fashion-mnist"))

    async with MatrixApp().run_test(size=SIZE) as pilot:
        lines = str(pilot.app.query_one(ConfusionMatrix).render()).splitlines()
        assert lines[1].split() == [
            "T-shi", "Trous", "Pullo", "Dress", "Coat", "Sanda", "Shirt", "Sneak", "Bag", "Ankle"]
        assert lines[11].startswith("9 Ankle boot")
        assert lines[11].split()[3:] == [str(v) for v in range(90, 100)] + ["10.5%"]  # recall 99 / 945
        assert lines[12].split()[0] == "precision" and len(lines) == 13


@scenario
async def test_keys_select_a_cell_and_its_digits_are_listed(trained):
    path, run_id = trained
    with RunStore.open(path) as store:
        confusion = store.get_run(run_id).confusion
        true, predicted = worst_mistake(confusion)
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # history -> this run's confusion matrix
            await pilot.pause()
            matrix = app.query_one(ConfusionMatrix)
            assert app.focused is matrix and matrix.matrix.tolist() == confusion
            await pilot.press(*["down"] * true, *["right"] * predicted)
            assert matrix.cursor == (true, predicted)
            status = str(app.query_one("#confusion-cell").render())
            assert f"true {true} → predicted {predicted}: {confusion[true][predicted]} test images" in status
            await pilot.press("enter")
            await settle(pilot)
            cards = list(app.query(DigitCard))
            count = confusion[true][predicted]
            assert len(cards) == min(count, MAX_IMAGES)
            title = str(app.query_one("#digit-title").render())
            assert title.startswith(f"true {true} → predicted {predicted}: {count} images")
            test = load_dataset("mnist", download=False)
            for card in cards:
                assert card.item.true == true == test.test_labels[card.item.index]
                assert int(np.argmax(card.item.probabilities)) == predicted
                assert np.array_equal(card.item.image, test.test_images[card.item.index])
            confidence = [card.item.probabilities[predicted] for card in cards]
            assert confidence == sorted(confidence, reverse=True)  # most confident mistakes first
            rendered = str(cards[0].render())
            assert f"#{cards[0].item.index} {true} → {predicted}" in rendered

            await pilot.press("left", "enter")  # predictions are cached: no second load
            await pilot.pause()
            assert not any(w.group == "confusion-predict" and not w.is_finished for w in app.workers)
            assert len(app.query(DigitCard)) == min(confusion[true][max(predicted - 1, 0)], MAX_IMAGES)


@scenario
async def test_a_click_selects_the_cell_under_the_mouse(trained):
    path, run_id = trained
    with RunStore.open(path) as store:
        confusion = store.get_run(run_id).confusion
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await pilot.pause()
            matrix = app.query_one(ConfusionMatrix)
            row, col = 7, 7
            x = 1 + matrix._label_width() + col * 6 + 3  # padding, label, 6 columns per cell
            await pilot.click(ConfusionMatrix, offset=(x, 1 + row))
            await settle(pilot)
            assert matrix.cursor == (row, col)
            cards = list(app.query(DigitCard))
            assert len(cards) == min(confusion[7][7], MAX_IMAGES)
            confidence = [card.item.probabilities[7] for card in cards]
            assert confidence == sorted(confidence)  # least confident correct ones first


@scenario
async def test_a_run_without_model_file_or_matrix_says_so(tmp_path: Path, trained):
    path, run_id = trained
    with RunStore.open(path) as store, fixed_store(tmp_path / "fixed.sqlite3") as fixed:
        app = PanesApp(fixed)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            pane = await open_run(pilot, 1)  # completed, but this fixed store has no model files
            await pilot.press("enter")
            await pilot.pause()
            assert "Run 1 saved no model" in str(app.query_one("#digit-title").render())
            await pilot.press("right", "right", "right", "right", "enter")  # (0, 4) holds no image
            assert str(app.query_one("#digit-title").render()) == "No test image of class 0 was predicted as 4."
            await open_run(pilot, 3)  # cancelled before its evaluation
            assert app.query_one(ConfusionMatrix).matrix is None
            assert "No confusion matrix" in str(app.query_one("#confusion-info").render())
            await open_run(pilot, 99)
            assert "no run with id 99" in str(app.query_one("#confusion-info").render())
            assert pane.run is None


@scenario
async def test_a_damaged_model_file_is_reported_and_the_app_keeps_running(tmp_path: Path):
    with RunStore.open(tmp_path / "runs.sqlite3") as store:
        (run_id,) = real_runs(store, SMALL)
        Path(store.get_run(run_id).model_path).write_bytes(b"not a model")
        app = PanesApp(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await open_run(pilot, run_id)
            await pilot.press("enter")
            await settle(pilot)
            title = str(app.query_one("#digit-title").render())
            assert title.startswith("Cannot list the images:") and str(run_id) in title
            assert app.is_running
            Path(store.get_run(run_id).model_path).unlink()
            await pilot.press("enter")
            await pilot.pause()
            title = str(app.query_one("#digit-title").render())
            assert title.startswith(f"The model file of run {run_id} is missing")
