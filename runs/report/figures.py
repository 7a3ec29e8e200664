"""The report's plots, drawn by matplotlib's SVG backend and returned as inline `<svg>` text.

No pyplot and no global backend: each plot is a bare `Figure` saved as SVG, so nothing here
opens a window, touches a display or changes another caller's matplotlib state. Text stays
text in the SVG (`svg.fonttype: none`: small, sharp, searchable), mathtext is off (a `$` in a
label is a dollar sign), and each figure gets its own id salt so several inline SVGs in one
page never share an element id.
"""

from __future__ import annotations

import io
import itertools
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

SERIES = {"train": "#3b6fb6", "val": "#e08a1e", "test": "#3a9a5b"}
"""Train blue, validation orange, test green: the dashboard's colours."""
RUN_COLOURS = ("#3b6fb6", "#d1495b", "#3a9a5b", "#e08a1e", "#7a5195", "#00a6a6", "#8c6d31", "#5c5c5c")
_salt = itertools.count(1)
_STYLE = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "axes.edgecolor": "#888888",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
}


def _svg(fig: Figure) -> str:
    """The figure as an `<svg>` element (no XML prolog, no doctype, no timestamp)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"fig{next(_salt)}"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _series(epochs: list[dict], key: str) -> tuple[list[int], list[float]]:
    points = [(e["epoch"], e[key]) for e in epochs if e.get(key) is not None]
    return [p[0] for p in points], [p[1] for p in points]


def curves(epochs: list[dict]) -> str:
    """Loss and accuracy per epoch, train / validation / test, side by side."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(9.4, 3.1)
        loss_ax, acc_ax = fig.subplots(1, 2)
        for name, label in (("train", "train"), ("val", "validation"), ("test", "test")):
            for ax, metric, scale in ((loss_ax, "loss", 1), (acc_ax, "acc", 100)):
                x, y = _series(epochs, f"{name}_{metric}")
                if x:
                    ax.plot(x, [v * scale for v in y], marker="o", markersize=3, color=SERIES[name], label=label)
        loss_ax.set(title="Loss", xlabel="epoch")
        acc_ax.set(title="Accuracy (%)", xlabel="epoch")
        for ax in (loss_ax, acc_ax):
            ax.xaxis.get_major_locator().set_params(integer=True)
        acc_ax.legend(loc="lower right")
        return _svg(fig)


def overlaid_curves(runs: Sequence[tuple[str, list[dict]]]) -> str:
    """Several runs on one pair of axes: training loss and validation (else test) accuracy."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(9.4, 3.3)
        loss_ax, acc_ax = fig.subplots(1, 2)
        acc_key = "val_acc" if any(e.get("val_acc") is not None for _, ep in runs for e in ep) else "test_acc"
        for (label, epochs), colour in zip(runs, itertools.cycle(RUN_COLOURS)):
            x, y = _series(epochs, "train_loss")
            loss_ax.plot(x, y, marker="o", markersize=3, color=colour, label=label)
            x, y = _series(epochs, acc_key)
            acc_ax.plot(x, [100 * v for v in y], marker="o", markersize=3, color=colour, label=label)
        loss_ax.set(title="Training loss", xlabel="epoch")
        acc_ax.set(title=("Validation" if acc_key == "val_acc" else "Test") + " accuracy (%)", xlabel="epoch")
        for ax in (loss_ax, acc_ax):
            ax.xaxis.get_major_locator().set_params(integer=True)
        acc_ax.legend(loc="lower right")
        return _svg(fig)


def confusion(matrix: Sequence[Sequence[int]], class_names: Sequence[str]) -> str:
    """The confusion matrix as a heat map: rows true, columns predicted, shaded by share of the row."""
    counts = np.asarray(matrix, dtype=np.int64)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(counts)
    with matplotlib.rc_context(_STYLE | {"axes.grid": False}):
        fig = _figure(5.0, 4.4)
        ax = fig.subplots()
        # A mistake of a few percent must stand out against a 98% diagonal: square-root shading.
        image = ax.imshow(np.sqrt(share), cmap="Blues", vmin=0, vmax=1)
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    dark = share[i, j] > 0.35
                    ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if dark else ("#b3202a" if i != j else "#222222"))
        labels = [str(i) if name == str(i) else f"{i} {name}" for i, name in enumerate(class_names[:n])]
        ax.set_xticks(range(n), [str(i) for i in range(n)])
        ax.set_yticks(range(n), labels)
        ax.set(xlabel="predicted", ylabel="true")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.8, ticks=np.sqrt([0, 0.01, 0.1, 0.5, 1]))
        bar.ax.set_yticklabels(["0", "1%", "10%", "50%", "100%"])
        bar.set_label("share of the true class")
        return _svg(fig)


def digits(images: Sequence[np.ndarray], captions: Sequence[str], columns: int = 8) -> str:
    """Grey 28x28 pictures in a grid, each with a caption underneath."""
    rows = max(1, -(-len(images) // columns))
    with matplotlib.rc_context(_STYLE | {"axes.grid": False}):
        fig = _figure(columns * 1.15, rows * 1.35)
        axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
        for ax in axes:
            ax.set_axis_off()
        for ax, image, caption in zip(axes, images, captions):
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(caption, fontsize=7, fontweight="normal")
        return _svg(fig)


def effects(options: Sequence[tuple[str, Sequence[tuple[str, float | None, float | None]]]]) -> str:
    """Marginal effects: per varied option, each value's mean validation accuracy (%) with ±1 sd bars."""
    count = max(1, len(options))
    columns = min(count, 3)
    rows = -(-count // columns)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(3.1 * columns, 2.6 * rows)
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
        for ax in axes[count:]:
            ax.set_axis_off()
        for ax, (option, values) in zip(axes, options):
            shown = [(text, mean, sd) for text, mean, sd in values if mean is not None]
            x = np.arange(len(shown))
            ax.errorbar(x, [100 * m for _, m, _ in shown], yerr=[100 * (s or 0) for _, _, s in shown],
                        fmt="o", color=SERIES["val"], ecolor="#999999", capsize=4, markersize=6)
            ax.set_xticks(x, [t for t, _, _ in shown], rotation=30 if len(shown) > 3 else 0)
            ax.set_xlim(-0.5, len(shown) - 0.5)
            ax.set_title(option)
            ax.set_ylabel("validation accuracy (%)")
        return _svg(fig)


def parallel_coordinates(axes_names: Sequence[str], columns: Sequence[Sequence[object]],
                         scores: Sequence[float]) -> str:
    """One line per finished trial across the varied options, the last axis its validation accuracy.

    Numbers are placed on a linear (or, spanning over a factor 20, logarithmic) scale, anything
    else evenly in first-seen order; lines are coloured by the score, best on top.
    """
    positions, ticks = [], []
    for values in columns:
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if numeric and len(set(values)) > 1:
            data = np.asarray(values, dtype=float)
            logs = data.min() > 0 and data.max() / data.min() > 20
            scaled = np.log10(data) if logs else data
            low, high = scaled.min(), scaled.max()
            positions.append((scaled - low) / (high - low))
            shown = sorted(set(values)) if len(set(values)) <= 6 else [
                10 ** t if logs else t for t in np.linspace(low, high, 5)]
            ticks.append([(((np.log10(v) if logs else v) - low) / (high - low), f"{v:.3g}") for v in shown])
        else:
            labels = list(dict.fromkeys(str(v) for v in values))
            step = 1 / max(1, len(labels) - 1)
            where = {label: (i * step if len(labels) > 1 else 0.5) for i, label in enumerate(labels)}
            positions.append(np.array([where[str(v)] for v in values]))
            ticks.append([(where[label], label) for label in labels])
    score = 100 * np.asarray(scores, dtype=float)
    low, high = score.min(), score.max()
    positions.append((score - low) / (high - low) if high > low else np.full(len(score), 0.5))
    ticks.append([(p, f"{v:.1f}") for p, v in zip(np.linspace(0, 1, 5), np.linspace(low, high, 5))])
    names = [*axes_names, "validation accuracy (%)"]
    with matplotlib.rc_context(_STYLE | {"axes.grid": False}):
        fig = _figure(min(9.4, max(4.5, 2.3 * len(names))), 3.4)
        ax = fig.subplots()
        cmap = matplotlib.colormaps["viridis"]
        points = np.column_stack(positions)
        for i in np.argsort(score):
            ax.plot(range(len(names)), points[i], color=cmap(positions[-1][i]), alpha=0.8, linewidth=1.6)
        for k, axis_ticks in enumerate(ticks):
            ax.axvline(k, color="#555555", linewidth=1)
            for y, label in axis_ticks:
                ax.text(k + 0.04, y, label, fontsize=7, va="center", ha="left",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks([])
        ax.set_xlim(-0.1, len(names) - 0.6)
        ax.set_ylim(-0.06, 1.06)
        for spine in ax.spines.values():
            spine.set_visible(False)
        return _svg(fig)
