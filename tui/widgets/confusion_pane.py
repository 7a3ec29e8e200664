"""A run's confusion matrix with the test images of the selected cell, predicted in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from data.idx import NUM_CLASSES
from data.loader import load_dataset
from data.registry import IMAGE_PIXELS
from data.splits import Normalization
from nn_core.model_io import load_model
from runs.store import RunRecord, RunStore, StoreError
from tui.run_summary import class_names
from tui.safe_text import safe_text
from tui.widgets.confusion_matrix import ConfusionMatrix
from tui.widgets.digit_view import DigitItem, DigitView

MAX_IMAGES = 24
"""Cards drawn for one cell; a diagonal cell can hold a thousand images."""


@dataclass(frozen=True)
class Predictions:
    """A run's model applied to its dataset's whole test set."""

    images: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of test images of class `true` predicted as `predicted`.

        Mistakes come most confident first; correct ones least confident first: both put the
        images worth a look at the top.
        """
        hits = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        confidence = self.probabilities[hits, predicted]
        order = np.argsort(confidence if true == predicted else -confidence, kind="stable")
        return hits[order]


def compute_predictions(model_path: str, dataset: str, data_dir: str | None, weights: str = "last") -> Predictions:
    """Load the saved model's `weights` (best or last) and the test set, normalise as at training
    time, predict every image."""
    saved = load_model(Path(model_path), input_size=IMAGE_PIXELS, num_classes=NUM_CLASSES, weights=weights)
    data = load_dataset(dataset, data_dir, download=False)
    norm = Normalization.from_dict(saved.normalization) if saved.normalization else Normalization.simple()
    probabilities = saved.model.predict_proba(norm.apply(data.test_images))
    return Predictions(data.test_images, np.asarray(data.test_labels, dtype=np.int64), probabilities)


class ConfusionPane(Vertical):
    """`show_run(id)` draws that run's confusion matrix; enter on a cell lists its test images.

    Predictions need the model file and the test set, so they are computed once per run in a
    thread worker and cached; the matrix itself comes straight from the store.
    """

    BINDINGS = [Binding("w", "switch_weights", "Best/last weights")]

    DEFAULT_CSS = """
    ConfusionPane {
        height: 1fr;
    }
    ConfusionPane > #confusion-top {
        height: auto;
    }
    ConfusionPane #confusion-info {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    ConfusionPane #confusion-cell {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    def __init__(self, store: RunStore, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.run: RunRecord | None = None
        """The run shown, as read from the store."""
        self.names: tuple[str, ...] = tuple(str(i) for i in range(10))
        self._predictions: dict[tuple[int, str], Predictions] = {}
        self._pending: tuple[int, int] | None = None
        self._loading: tuple[int, str] | None = None
        self.weights = "last"
        """Whose matrix is shown: "best" (best-validation epoch) or "last"; `w` switches."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="confusion-top"):
            yield ConfusionMatrix(id="confusion-matrix")
            yield Static("No run shown yet: pick one in the history.", id="confusion-info")
        yield Static("", id="confusion-cell")
        yield DigitView(id="confusion-digits")

    def on_show(self) -> None:
        """Coming into view: the arrow keys move over the matrix at once."""
        if self.app.focused is None or self not in self.app.focused.ancestors_with_self:
            self.matrix_widget.focus()

    @property
    def matrix_widget(self) -> ConfusionMatrix:
        return self.query_one(ConfusionMatrix)

    @property
    def digits(self) -> DigitView:
        return self.query_one(DigitView)

    def show_run(self, run_id: int) -> None:
        """Show the confusion matrix of run `run_id` (an unknown id or a run without one says so)."""
        try:
            run = self.store.usable_run(run_id)
        except StoreError as error:
            self.run = None
            self.matrix_widget.set_matrix(None)
            self._info(safe_text(error, "red", multiline=True))
            return
        self.run = run
        self._pending = None
        self.weights = _reported_weights(run)
        self.names = class_names(run.dataset.get("name", "mnist"))
        self.matrix_widget.set_matrix(run.confusion, self.names)
        self._info(self._describe(run))
        self.query_one("#confusion-cell", Static).update("")
        self.digits.message(
            "Move over the matrix with the arrow keys; enter (or a click) lists that cell's test images."
            if run.confusion is not None else ""
        )

    def _info(self, text: Text | str) -> None:
        self.query_one("#confusion-info", Static).update(text)

    def _describe(self, run: RunRecord) -> Text:
        text = Text()
        text.append(f"Run {run.id}", style="bold")
        text.append(" · ").append_text(safe_text(run.status)).append("\n")
        text.append_text(safe_text(run.dataset.get("name", "?"))).append(" test set\n")
        final = run.final or {}
        accuracy = final.get("test_acc") if self.weights == _reported_weights(run) else final.get(f"test_acc_{self.weights}")
        if accuracy is not None:
            text.append(f"test accuracy {100 * accuracy:.2f}%\n")
        if run.confusion is not None:
            text.append(_weights_line(self.weights, final), style="bold")
            if final.get("weights") == "best":
                text.append(" (w: switch)", style="dim")
            text.append("\n")
        if run.confusion is None:
            ended = f" ({run.message})" if run.message else ""
            text.append_text(safe_text(f"\nNo confusion matrix: the run ended before its evaluation{ended}.", "yellow",
                                       multiline=True))
        else:
            text.append("\nrows: true class; columns: predicted\n", style="dim")
            text.append("green: correct (brighter = higher recall)\n", style="dim")
            text.append("red: mistakes (brighter = more)", style="dim")
        return text

    # ------------------------------------------------------------- cells
    def on_confusion_matrix_cell_highlighted(self, event: ConfusionMatrix.CellHighlighted) -> None:
        names = self.names
        self.query_one("#confusion-cell", Static).update(
            f"true {names[event.true]} → predicted {names[event.predicted]}: {event.count} test images"
        )

    def on_confusion_matrix_cell_selected(self, event: ConfusionMatrix.CellSelected) -> None:
        run = self.run
        if run is None:
            return
        cell = (event.true, event.predicted)
        if event.count == 0:
            true, predicted = (self.names[i] for i in cell)
            self.digits.message(f"No test image of class {true} was predicted as {predicted}.")
            return
        if (run.id, self.weights) in self._predictions:
            self._show_cell(self._predictions[run.id, self.weights], *cell)
            return
        self._pending = cell
        self._start_loading(run)

    def action_switch_weights(self) -> None:
        """Show the other set of weights' matrix (computed from the model file and the test set)."""
        run = self.run
        if run is None or run.confusion is None:
            return
        if (run.final or {}).get("weights") != "best":
            self.digits.message(f"Run {run.id} has only its last epoch's weights "
                                "(no validation set, so no best-validation weights).")
            return
        self.weights = "last" if self.weights == "best" else "best"
        self._pending = None
        if (run.id, self.weights) in self._predictions:
            self._show_matrix(self._predictions[run.id, self.weights])
        else:
            self._start_loading(run)

    def _start_loading(self, run: RunRecord) -> None:
        if not run.model_path:
            self.digits.message(f"Run {run.id} saved no model, so its test images cannot be listed.")
            return
        if not Path(run.model_path).is_file():
            self.digits.message(f"The model file of run {run.id} is missing ({run.model_path}), "
                                "so its test images cannot be listed.")
            return
        self.digits.message(f"Loading the model of run {run.id} ({self.weights} weights) and the test set…")
        if self._loading == (run.id, self.weights):
            return
        self._loading = (run.id, self.weights)
        self._load(run.id, self.weights, run.model_path, run.dataset.get("name", "mnist"),
                   run.config.get("data", {}).get("data_dir"))

    @work(thread=True, exclusive=True, group="confusion-predict")
    def _load(self, run_id: int, weights: str, model_path: str, dataset: str, data_dir: str | None) -> None:
        try:
            predictions = compute_predictions(model_path, dataset, data_dir, weights)
        except Exception as error:  # any failure becomes a message; the dashboard keeps running
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._failed, run_id, f"Cannot list the images: {error}")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, run_id, weights, predictions)

    def _failed(self, run_id: int, message: str) -> None:
        self._loading = None
        if self.run is not None and self.run.id == run_id:
            self.digits.message(message)

    def _loaded(self, run_id: int, weights: str, predictions: Predictions) -> None:
        self._loading = None
        self._predictions[run_id, weights] = predictions
        if self.run is None or self.run.id != run_id or self.weights != weights:
            return
        if weights != _reported_weights(self.run):
            self._show_matrix(predictions)
        if self._pending is not None:
            self._show_cell(predictions, *self._pending)
            self._pending = None
        elif weights != _reported_weights(self.run):
            self.digits.message(f"The matrix of the {weights} weights; enter on a cell lists its test images.")

    def _show_matrix(self, predictions: Predictions) -> None:
        """The shown weights' matrix: the stored one for the reported weights, else from `predictions`."""
        run = self.run
        if run is None:
            return
        if self.weights == _reported_weights(run):
            matrix = run.confusion
        else:
            classes = len(self.names)
            matrix = np.bincount(predictions.labels * classes + predictions.predicted,
                                 minlength=classes * classes).reshape(classes, classes)
        self.matrix_widget.set_matrix(matrix, self.names)
        self._info(self._describe(run))
        self.digits.message(f"The matrix of the {self.weights} weights; enter on a cell lists its test images.")

    def _show_cell(self, predictions: Predictions, true: int, predicted: int) -> None:
        names = self.names
        indices = predictions.cell(true, predicted)
        order = "least confident first" if true == predicted else "most confident first"
        title = (f"true {names[true]} → predicted {names[predicted]}: {len(indices)} images"
                 + (f", showing {MAX_IMAGES} ({order})" if len(indices) > MAX_IMAGES else f" ({order})"))
        items = [DigitItem(int(i), predictions.images[i], true, predictions.probabilities[i])
                 for i in indices[:MAX_IMAGES]]
        self.digits.show(title, items, names)


def _reported_weights(run: RunRecord) -> str:
    """Whose matrix the store holds: the run's reported weights (older runs: the last)."""
    return "best" if (run.final or {}).get("weights") == "best" else "last"


def _weights_line(weights: str, final: dict) -> str:
    if weights == "best":
        return f"best-validation weights (epoch {final.get('best_epoch')})"
    return "last epoch's weights"
