"""The Inside tab: what a run's layers learned, live for the running run and for any run in the store.

Top: the first layer's weight pictures (every hidden unit's 784 incoming weights as a tile) and
the picked unit full size with its numbers. Bottom: per-layer statistics by epoch (gradient
norms on a log axis, dead or saturated share), weight histograms against the initial weights,
and a canvas to draw a digit on, classified live by the run's saved model with ten bars.
Warnings name a layer whose units are mostly dead or saturated, with advice (runs.layer_health).

The pane follows the running run (the dashboard forwards its epochs with the first layer's
weights) until another run is chosen: type its id, press [ or ] for the previous or next run,
or press F10 in History to open the run picked there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static
from textual_plotext import PlotextPlot

from runs.layer_health import layer_name, warnings
from runs.store import RunStore, StoreError
from tui.layer_text import histogram_text
from tui.probability_bars import probability_bars
from tui.safe_text import plain
from tui.weight_art import scale_legend, tile_lines, unit_tiles, weight_scale
from tui.widgets.digit_canvas import DigitCanvas
from tui.widgets.weight_tiles import WeightTiles

LAYER_COLOURS = ((86, 156, 255), (255, 166, 48), (80, 220, 100), (220, 90, 220), (240, 240, 90))


class InsidePane(VerticalScroll):
    """`show_run(id)` shows a stored run; `run_started`/`epoch_done`/`run_ended` follow the running one."""

    DEFAULT_CSS = """
    InsidePane { padding: 0 1; }
    InsidePane #inside-head { height: 1; }
    InsidePane #inside-head Label { padding: 0 1 0 0; }
    InsidePane #inside-run { width: 12; height: 1; border: none; padding: 0; }
    InsidePane #inside-title { width: 1fr; height: 1; }
    InsidePane #inside-warnings { color: $warning; height: auto; }
    InsidePane #inside-top { height: auto; }
    InsidePane #inside-tiles-box { width: 1fr; height: auto; }
    InsidePane #inside-unit { width: 30; height: auto; }
    InsidePane #inside-bottom { height: auto; }
    InsidePane #inside-curves { width: 1fr; min-width: 30; height: 16; }
    InsidePane PlotextPlot { height: 1fr; }
    InsidePane #inside-curve-legend { height: 1; }
    InsidePane #inside-hist { width: 44; height: auto; padding: 0 1; }
    InsidePane #inside-draw { width: auto; height: auto; }
    InsidePane #inside-probs { width: 26; height: auto; padding: 1 0 0 1; }
    InsidePane.-narrow #inside-bottom { layout: vertical; }
    InsidePane.-narrow #inside-curves, InsidePane.-narrow #inside-hist { width: 1fr; }
    """

    BINDINGS = [
        Binding("left_square_bracket", "step_run(-1)", "Previous run", tooltip="Show the run before this one"),
        Binding("right_square_bracket", "step_run(1)", "Next run", tooltip="Show the run after this one"),
    ]

    def __init__(self, store: RunStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.run_id: int | None = None
        self.live_id: int | None = None
        """The run training now, or None."""
        self.following = True
        """Show the running run when one starts (until the user picks another run)."""
        self.config: dict[str, Any] = {}
        self.status = ""
        self.message = ""
        self.epochs: list[dict[str, Any]] = []
        self.model = None
        self.normalization = None
        self.class_names: tuple[str, ...] = tuple(str(k) for k in range(10))
        self._ink = np.zeros((28, 28))
        self._last_live: tuple[int, np.ndarray] | None = None
        """The last epoch's first layer of the last run followed live: a run that diverged saves no model."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="inside-head"):
            yield Label("Run")
            yield Input(placeholder="id", id="inside-run", type="integer")
            yield Static(id="inside-title")
        yield Static(id="inside-warnings")
        with Horizontal(id="inside-top"):
            with Vertical(id="inside-tiles-box"):
                yield Static(id="inside-legend")
                yield WeightTiles(id="inside-tiles")
            yield Static(id="inside-unit")
        with Horizontal(id="inside-bottom"):
            with Vertical(id="inside-curves"):
                yield PlotextPlot(id="inside-grad-plot")
                yield PlotextPlot(id="inside-dead-plot")
                yield Static(id="inside-curve-legend")
            yield Static(id="inside-hist")
            with Horizontal(id="inside-draw"):
                yield DigitCanvas(id="inside-canvas")
                yield Static(id="inside-probs")

    NARROW = 130
    """Below this width the bottom row (curves, histograms, canvas: 130 columns) stacks instead."""

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < self.NARROW, "-narrow")

    def on_mount(self) -> None:
        latest = self._run_ids()
        if latest:
            self.show_run(latest[-1], chosen=False)
        else:
            self._redraw()

    # ----- which run --------------------------------------------------------------------------

    def _run_ids(self) -> list[int]:
        try:
            return self.store.run_ids()
        except StoreError:
            return []

    def show_run(self, run_id: int, *, chosen: bool = True) -> None:
        """Show stored run `run_id`; `chosen` (by the user) stops following the running run."""
        if chosen:
            self.following = run_id == self.live_id
        self.run_id = run_id
        self.model, self.normalization, self.epochs, self.config = None, None, [], {}
        self.status, self.message = "", ""
        problems = ""
        try:
            run = self.store.get_run(run_id)
        except StoreError as error:
            problems = str(error)
            run = None
        if run is not None:
            self.config, self.status, self.message, self.epochs = run.config, run.status, run.message, list(run.epochs)
            if run.damaged:
                problems = run.describe_damage()
            elif run.model_path:
                problems = self._load_model(run)
        live = self._last_live[1] if self._last_live and self._last_live[0] == run_id and self.model is None else None
        self._tiles_from_model(live)
        self._redraw(problems)

    def _load_model(self, run) -> str:
        from data.registry import get_spec
        from data.splits import Normalization
        from nn_core.model_io import ModelFileError, load_model

        try:
            saved = load_model(run.model_path, input_size=784, num_classes=10)
            self.normalization = Normalization.from_dict(saved.normalization) if saved.normalization else Normalization.simple()
        except (ModelFileError, OSError, ValueError) as error:
            return f"cannot load the model of run {run.id}: {error}"
        self.model = saved.model
        try:
            self.class_names = get_spec(run.dataset.get("name", "mnist")).class_names
        except KeyError:
            self.class_names = tuple(str(k) for k in range(10))
        return ""

    def _tiles_from_model(self, first_layer: np.ndarray | None = None) -> None:
        if first_layer is None and self.model is not None:
            first_layer = self.model.weights[0]
        tiles = self.query_one(WeightTiles)
        if first_layer is None:
            tiles.empty_note = ("no weight pictures yet: they appear after the first epoch" if self.status == "running"
                                else f"no weight pictures: run {self.run_id} saved no model ({plain(str(self.status))})")
            tiles.show(np.zeros((0, 28, 28)), 1.0)
            return
        tiles.show(unit_tiles(first_layer), weight_scale(first_layer))

    def action_step_run(self, step: int) -> None:
        ids = self._run_ids()
        if not ids:
            return
        if self.run_id not in ids:
            self.show_run(ids[-1])
            return
        index = min(len(ids) - 1, max(0, ids.index(self.run_id) + step))
        self.show_run(ids[index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text.isdigit() or int(text) not in self._run_ids():
            self.notify(plain(f"No run with id {text!r}: see the History tab (F4)."), severity="warning", markup=False)
            return
        self.show_run(int(text))
        self.query_one(WeightTiles).focus()

    # ----- the running run --------------------------------------------------------------------

    def run_started(self, run_id: int, config: dict[str, Any]) -> None:
        self.live_id = run_id
        if self.following:
            self.run_id, self.config, self.status, self.message = run_id, config, "running", ""
            self.epochs, self.model = [], None
            self._tiles_from_model()
            self._redraw()

    def epoch_done(self, run_id: int, record: dict[str, Any], first_layer: np.ndarray | None) -> None:
        if first_layer is not None:
            self._last_live = (run_id, first_layer)
        if run_id != self.run_id:
            return
        self.epochs = [e for e in self.epochs if e.get("epoch") != record.get("epoch")] + [record]
        if first_layer is not None:
            self._tiles_from_model(first_layer)
        self._redraw()

    def run_ended(self, run_id: int | None) -> None:
        if run_id == self.live_id:
            self.live_id = None
        if run_id is not None and run_id == self.run_id:
            self.show_run(run_id, chosen=False)

    # ----- drawing ----------------------------------------------------------------------------

    def _redraw(self, problems: str = "") -> None:
        stats = next((e for e in reversed(self.epochs) if e.get("layers")), None)
        layers = stats["layers"] if stats else []
        self.query_one("#inside-title", Static).update(self._title(stats))
        notes = [f"⚠ {w}" for w in warnings(layers, self.config)]
        if problems:
            notes.insert(0, problems)
        if self.status == "diverged" and self.message:
            notes.append(self.message)
        self.query_one("#inside-warnings", Static).update(Text(plain("\n".join(notes), multiline=True)))
        tiles = self.query_one(WeightTiles)
        legend = Text(f"first layer: {len(tiles.tiles)} units, 784 weights each (centre 24x24, 3x3 averages)  ")
        legend.append_text(scale_legend(tiles.scale))
        self.query_one("#inside-legend", Static).update(legend if len(tiles.tiles) else "")
        self._draw_unit()
        self._draw_curves()
        self.query_one("#inside-hist", Static).update(self._hist_text(layers, self.status))
        self._classify()

    def _title(self, stats: dict[str, Any] | None) -> Text:
        if self.run_id is None:
            return Text("no runs yet: train one (F2, then F5) and watch its layers here", style="dim")
        model = self.config.get("model", {}) if isinstance(self.config, dict) else {}
        sizes = "-".join(str(s) for s in (model.get("input_size", 784), *model.get("hidden_sizes", ()),
                                          model.get("num_classes", 10)))
        epochs = self.config.get("train", {}).get("epochs", "?") if isinstance(self.config, dict) else "?"
        text = Text(f"run {self.run_id} · {sizes} {model.get('activation', '')} · {plain(str(self.status))}", style="bold")
        text.append(f" · epoch {stats['epoch'] if stats else 0} of {epochs}")
        if self.run_id == self.live_id:
            text.append(" · live", style="green")
        text.append("   [ ] other runs · arrows pick a unit · Tab to the canvas", style="dim")
        return text

    def on_weight_tiles_picked(self, message: WeightTiles.Picked) -> None:
        self._draw_unit()

    def _draw_unit(self) -> None:
        tiles = self.query_one(WeightTiles)
        target = self.query_one("#inside-unit", Static)
        if not len(tiles.tiles):
            target.update("")
            return
        unit = tiles.picked
        tile = tiles.tiles[unit]
        text = Text(f"unit {unit + 1} of {len(tiles.tiles)}\n", style="bold")
        text.append_text(Text("\n").join(tile_lines(tile, tiles.scale)))
        text.append(f"\n|w| {np.linalg.norm(tile):.3g}  min {tile.min():.3g}  max {tile.max():.3g}")
        text.append("\nred: ink here excites the unit\nblue: ink here inhibits it", style="dim")
        target.update(text)

    def _draw_curves(self) -> None:
        with_stats = [e for e in self.epochs if e.get("layers")]
        grad = self.query_one("#inside-grad-plot", PlotextPlot)
        dead = self.query_one("#inside-dead-plot", PlotextPlot)
        for widget, title in ((grad, "gradient norm per layer (log)"), (dead, "dead or saturated units %")):
            widget.plt.clear_data()
            widget.plt.title(title)
        if with_stats:
            epochs = [e["epoch"] for e in with_stats]
            count = len(with_stats[-1]["layers"])
            grad.plt.yscale("log")
            for i in range(count):
                colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
                values = [_layer(e, i, "grad_norm") for e in with_stats]
                points = [(x, v) for x, v in zip(epochs, values) if v is not None and v > 0 and math.isfinite(v)]
                if points:
                    grad.plt.plot(*zip(*points), color=colour, marker="braille")
                if i < count - 1:
                    shares = [_layer(e, i, "dead") if _layer(e, i, "dead") is not None else _layer(e, i, "saturated")
                              for e in with_stats]
                    points = [(x, 100 * v) for x, v in zip(epochs, shares) if v is not None]
                    if points:
                        dead.plt.plot(*zip(*points), color=colour, marker="braille")
            dead.plt.ylim(0, 100)
            for widget in (grad, dead):
                widget.plt.xlim(epochs[0], epochs[-1] if len(epochs) > 1 else epochs[0] + 1)
            if len(epochs) <= 10:
                grad.plt.xticks(epochs)
                dead.plt.xticks(epochs)
        grad.refresh()
        dead.refresh()
        legend = Text()
        count = len(with_stats[-1]["layers"]) if with_stats else 0
        for i in range(count):
            legend.append(" ━━ ", style="rgb({},{},{})".format(*LAYER_COLOURS[i % len(LAYER_COLOURS)]))
            legend.append(layer_name(i + 1, count))
        self.query_one("#inside-curve-legend", Static).update(legend)

    @staticmethod
    def _hist_text(layers: list[dict[str, Any]], status: str) -> Text:
        if not layers:
            if status in ("running", ""):
                return Text("no layer statistics yet: they are recorded after each epoch", style="dim")
            return Text("no layer statistics: the run finished no epoch, or is older than them", style="dim")
        text = Text("weights now (red) vs at the start (blue)\n", style="dim")
        for row in layers:
            text.append_text(histogram_text(row, len(layers)))
            share = row["dead"] if row.get("dead") is not None else row.get("saturated")
            what = "dead" if row.get("dead") is not None else "saturated"
            ratio = row.get("update_ratio")
            numbers = f"\n|W| {row['weight_norm']:.3g} |grad| {_fmt(row.get('grad_norm'))} " \
                      f"step {'-' if ratio is None else format(ratio, '.1e')}"
            if share is not None:
                numbers += f" {share:.0%} {what}"
            text.append(numbers + "\n", style="dim")
        text.rstrip()
        return text

    def on_digit_canvas_changed(self, message: DigitCanvas.Changed) -> None:
        self._ink = message.ink
        self._classify()

    def _classify(self) -> None:
        target = self.query_one("#inside-probs", Static)
        if self.model is None:
            target.update(Text("draw a digit: its prediction shows once the run's model is saved", style="dim"))
            return
        from data.preprocess import mnist_style

        digit = mnist_style(self._ink)
        if not digit.any():
            target.update(Text(f"draw a digit; run {self.run_id} reads it here", style="dim"))
            return
        probabilities = self.model.predict_proba(self.normalization.apply(digit[None]))[0]
        best = int(np.argmax(probabilities))
        text = Text(f"reads {self.class_names[best]} ({100 * probabilities[best]:.0f}%)\n", style="bold")
        text.append_text(probability_bars(probabilities, self.class_names, width=14))
        target.update(text)


def _layer(epoch: dict[str, Any], index: int, key: str) -> float | None:
    layers = epoch["layers"]
    return layers[index].get(key) if index < len(layers) else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"
