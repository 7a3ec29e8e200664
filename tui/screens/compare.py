"""Two or more runs side by side: differing settings, final metrics with the best marked, curves, confusion change."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from runs.store import RunRecord, RunStore, StoreError
from tui.comparison import MISSING, best_indices, config_diff, with_defaults
from tui.run_summary import class_names, summarize
from tui.safe_text import plain, safe_text
from tui.widgets.confusion_difference import ConfusionDifference

BEST = "★"
CURVE_COLORS = ((0, 200, 220), (255, 150, 0), (220, 80, 220), (100, 200, 60),
                (230, 60, 60), (80, 130, 255), (230, 210, 40), (220, 220, 220))
"""One colour per run, shared by plotext lines and the legend in the section title (plotext's
own legend sits over the top-left corner, where the first epochs of a loss curve are)."""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _value(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _metric(label: str, value: float | None) -> str:
    if value is None:
        return "—"
    if label == "time":
        return f"{value:.1f}s"
    return f"{value:.4f}" if label == "test loss" else _pct(value)


def _curve_key(runs: list[RunRecord]) -> str:
    """Validation accuracy when every run has it, else test accuracy (runs without a validation split)."""
    has_val = all(any(e.get("val_acc") is not None for e in r.epochs) for r in runs if r.epochs)
    return "val" if has_val else "test"


class CompareScreen(Screen):
    """Compare the runs `run_ids` read from `store`; escape goes back."""

    DEFAULT_CSS = """
    CompareScreen > VerticalScroll {
        padding: 0 1;
    }
    CompareScreen .section {
        text-style: bold;
        color: $accent;
        margin-top: 1;
        height: auto;
    }
    CompareScreen DataTable {
        height: auto;
        max-height: 16;
    }
    CompareScreen #curves {
        height: 16;
    }
    CompareScreen PlotextPlot {
        width: 1fr;
    }
    """

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("a", "toggle_all", "All fields / differences"),
    ]

    def __init__(self, store: RunStore, run_ids: list[int]) -> None:
        super().__init__()
        self.store = store
        self.run_ids = list(run_ids)
        self.runs: list[RunRecord] = []
        self.show_all = False
        """Whether the config table lists every field or only the differing ones."""
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("", id="compare-problems")
            yield Static("Final metrics (★ best; test is reported, never starred: the pick is on validation)", classes="section")
            yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="section", id="config-title")
            yield DataTable(id="compare-config", cursor_type="row", zebra_stripes=True)
            yield Static("", classes="section", id="curves-title")
            with Horizontal(id="curves"):
                yield PlotextPlot(id="curve-acc")
                yield PlotextPlot(id="curve-loss")
            yield Static("", classes="section", id="difference-title")
            yield ConfusionDifference(id="compare-difference")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Compare runs " + ", ".join(map(str, self.run_ids))
        for run_id in self.run_ids:
            try:
                self.runs.append(self.store.usable_run(run_id))
            except StoreError as error:
                self.problems.append(str(error))
        self.query_one("#compare-problems", Static).update(safe_text("\n".join(self.problems), "red", multiline=True))
        self._fill_metrics()
        self._fill_config()
        self._draw_curves()
        self._fill_difference()
        self.query_one("#compare-config", DataTable).focus()

    def _fill_metrics(self) -> None:
        table = self.query_one("#compare-metrics", DataTable)
        summaries = [summarize(r) for r in self.runs]
        test_loss = [(r.final or {}).get("test_loss") for r in self.runs]
        columns = [
            ("best val", [s.best_val for s in summaries], True),
            ("last val", [s.last_val for s in summaries], True),
            ("test acc", [s.test_acc for s in summaries], None),  # reported, never starred: the pick is on validation
            ("test loss", test_loss, None),
            ("time", [s.seconds for s in summaries], False),
        ]
        table.add_columns("run", "architecture", "status", "epochs", *(c[0] for c in columns))
        datasets = [s.dataset for s in summaries]  # runs of different datasets are never ranked together
        best = [set() if higher is None else best_indices(values, higher_is_better=higher, groups=datasets)
                for _, values, higher in columns]
        for i, summary in enumerate(summaries):
            cells: list[Any] = [safe_text(cell) for cell in (summary.id, summary.architecture, summary.status,
                                                              summary.epochs_done)]
            for c, (label, values, _) in enumerate(columns):
                shown = _metric(label, values[i])
                if label.startswith("best") and summary.best_epoch is not None:
                    shown += f" @{summary.best_epoch}"
                if label == "test acc" and values[i] is not None:
                    shown += f" {summary.test_weights}"  # which weights: best-validation or last
                if i in best[c] and len(self.runs) > 1:
                    cells.append(Text(f"{BEST} {shown}", style="bold green", justify="right"))
                else:
                    cells.append(Text(shown, justify="right"))
            table.add_row(*cells)

    def _fill_config(self) -> None:
        table = self.query_one("#compare-config", DataTable)
        table.clear(columns=True)
        rows = config_diff([with_defaults(r.config) for r in self.runs], only_differing=not self.show_all)
        differing = {name for name, _ in config_diff([with_defaults(r.config) for r in self.runs])}
        table.add_columns("setting", *(f"run {r.id}" for r in self.runs))
        for name, values in rows:
            style = "bold yellow" if name in differing else ""
            table.add_row(safe_text(name, style), *(safe_text(_value(v), style) for v in values))
        title = ("Settings: all fields (differences in yellow)" if self.show_all
                 else f"Settings that differ ({len(differing)}; press a for all)")
        if not rows:
            title += " — none: the runs were configured identically"
        self.query_one("#config-title", Static).update(title)

    def _draw_curves(self) -> None:
        key = _curve_key(self.runs)
        name = "validation" if key == "val" else "test"
        title = Text(f"Curves: {name} accuracy and loss per epoch   ")
        for i, run in enumerate(self.runs):
            title.append(f" ━ run {run.id}", style="rgb({},{},{})".format(*CURVE_COLORS[i % len(CURVE_COLORS)]))
        self.query_one("#curves-title", Static).update(title)
        for widget_id, metric, label in (("#curve-acc", f"{key}_acc", "accuracy"),
                                         ("#curve-loss", f"{key}_loss", "loss")):
            plot = self.query_one(widget_id, PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.title(f"{name} {label}")
            plt.xlabel("epoch")
            last = max((len(r.epochs) for r in self.runs), default=1)
            if last <= 20:
                plt.xticks(list(range(1, last + 1)))
            for i, run in enumerate(self.runs):
                points = [(e["epoch"], e[metric]) for e in run.epochs if e.get(metric) is not None]
                if points:
                    xs, ys = zip(*points)
                    plt.plot(list(xs), list(ys), marker="hd", color=CURVE_COLORS[i % len(CURVE_COLORS)])
            plot.refresh()

    def _fill_difference(self) -> None:
        title = self.query_one("#difference-title", Static)
        widget = self.query_one(ConfusionDifference)
        if len(self.runs) != 2:
            title.update("Confusion matrix change")
            widget.explain("Compare exactly two runs to see how their confusion matrices differ.")
            return
        first, second = self.runs
        title.update(f"Confusion matrix change: run {second.id} minus run {first.id} "
                     f"(green: run {second.id} better, red: worse)")
        names = [plain(r.dataset.get("name")) for r in self.runs]
        if first.confusion is None or second.confusion is None:
            missing = [str(r.id) for r in self.runs if r.confusion is None]
            which = f"Run {missing[0]} has" if len(missing) == 1 else f"Runs {' and '.join(missing)} have"
            widget.explain(f"{which} no confusion matrix (ended before the final evaluation).")
        elif names[0] != names[1]:
            widget.explain(f"The runs used different datasets ({names[0]}, {names[1]}): "
                           "their matrices do not compare.")
        else:
            widget.show(first.confusion, second.confusion, class_names(names[0]))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._fill_config()
