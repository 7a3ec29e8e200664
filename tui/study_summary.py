"""What the Studies tab shows of a study, as plain data: its line in the list, its trials, progress and plot.

Everything is computed from the store's records (a StudyRecord and its runs) and the spec's trials,
so a study run by `mnist-tui study run` in another terminal looks the same as one started here.
Scores follow runs.study_results: a finished trial's score is the validation accuracy of the weights it
kept (the best-validation epoch's, `trial_score`); a trial still running shows its last epoch's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runs.store import RunRecord
from runs.study_estimate import seconds_per_epoch
from runs.study_results import StudyResults, trial_score
from runs.study_spec import StudySpec, Trial
from runs.study_store import StudyRecord
from tui.parallel_layout import Axis, Line, fanned

ACCURACY_AXIS = "val acc"
DONE = ("completed", "diverged", "failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class TrialRow:
    """One trial: planned by the spec, and its run once it started (`run_id` None while queued)."""

    key: str
    params: dict[str, Any]
    seed: int
    epochs: int
    """Epochs planned."""
    run_id: int | None = None
    status: str = "queued"
    epoch: int = 0
    """Epochs done."""
    val: float | None = None
    """Validation accuracy: of the kept weights once finished (runs.study_results.trial_score), else of
    the last epoch done."""
    last_val: float | None = None
    """The last epoch's validation accuracy."""
    test: float | None = None
    seconds: float = 0.0
    """Seconds of the epochs done."""


def _row(trial: Trial, run: RunRecord | None) -> TrialRow:
    epochs = trial.config.train.epochs
    if run is None:
        return TrialRow(trial.key, trial.params, trial.seed, epochs)
    vals = [e["val_acc"] for e in run.epochs if e.get("val_acc") is not None]
    final = run.final or {}
    last = final.get("val_acc", vals[-1] if vals else None)
    return TrialRow(
        trial.key, trial.params, trial.seed, epochs, run.id, run.status, len(run.epochs),
        trial_score(run) if final.get("weights") == "best" else last, last, final.get("test_acc"),
        sum(e.get("seconds") or 0.0 for e in run.epochs),
    )


def trial_rows(trials: list[Trial], runs: list[RunRecord]) -> list[TrialRow]:
    """Every planned trial in the spec's order, with its run where it has one."""
    by_key = {r.trial_key: r for r in runs if r.trial_key is not None}
    return [_row(t, by_key.get(t.key)) for t in trials]


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    running: int
    queued: int
    eta_seconds: float | None


def progress(rows: list[TrialRow], trials: list[Trial], active: bool) -> Progress:
    """Trials done, running and queued, and the time left when the study is being run.

    The time left is the estimate of the epochs left (runs.study_estimate), scaled by how long this
    study's epochs really took against their estimate, over as many workers as trials run now.
    """
    done = sum(r.status in DONE for r in rows)
    running = sum(r.status == "running" for r in rows)
    queued = len(rows) - done - running
    eta = None
    if active and (running or queued):
        configs = {t.key: t.config for t in trials}
        measured = sum(r.seconds for r in rows if r.epoch)
        estimated = sum(r.epoch * seconds_per_epoch(configs[r.key]) for r in rows if r.epoch)
        scale = measured / estimated if measured and estimated else 1.0
        left = sum((r.epochs - r.epoch) * seconds_per_epoch(configs[r.key])
                   for r in rows if r.status in ("running", "queued"))
        eta = left * scale / max(1, running)
    return Progress(len(rows), done, running, queued, eta)


def varied_text(spec: StudySpec) -> str:
    """`hidden-layers×3 optimizer×2 · 3 seeds`: what a study compares, in one line."""
    parts = [f"{flag}×{len(values)}" for flag, values in spec.vary.items()]
    parts += [f"{flag}~{r.text()}" for flag, r in spec.ranges.items()]
    if spec.random:
        parts.append(f"{spec.random} random")
    seeds = len(spec.seeds)
    return " ".join(parts or ["nothing varied"]) + f" · {seeds} seed{'s' if seeds != 1 else ''}"


@dataclass(frozen=True)
class StudyLine:
    """A study's row in the list."""

    id: int
    name: str
    compares: str
    status: str
    done: int
    total: int
    winner_val: float | None
    """The winner's mean validation accuracy of the kept (best-epoch) weights (chosen on validation)."""


def study_line(study: StudyRecord, spec: StudySpec, results: StudyResults) -> StudyLine:
    done = sum(n for status, n in results.counts.items() if status in DONE)
    winner = results.winner
    return StudyLine(
        study.id, study.name, varied_text(spec), study.status, done, results.total,
        winner.val.mean if winner is not None else None,
    )


def plot_data(spec: StudySpec, rows: list[TrialRow], highlight: str | None = None) -> tuple[list[Axis], list[Line]]:
    """Axes (one per varied option, then validation accuracy) and one line per trial.

    Grid options are categorical axes in the order given; random-search ranges are numeric axes
    (log-scaled for log ranges). Trials without a validation accuracy yet are drawn without their
    last segment (grey in the widget). Lines fan out within a category by accuracy.
    """
    axes: list[Axis] = [Axis.category(flag, [_plain(v) for v in values]) for flag, values in spec.vary.items()]
    for flag, spread in spec.ranges.items():
        drawn = [r.params[flag] for r in rows if flag in r.params]
        axes.append(Axis.numeric(flag, drawn or [spread.low, spread.high], log=spread.kind == "log"))
    if not axes:  # only seeds vary
        axes.append(Axis.category("seed", [r.seed for r in rows]))
    scored = [r.val for r in rows if r.val is not None and r.status == "completed"]
    accuracy = Axis.numeric(ACCURACY_AXIS, scored, percent=True)
    lines = []
    for row in rows:
        if row.status == "queued":
            continue
        value = row.val if row.status == "completed" else None
        rank = accuracy.position(value) if value is not None else 0.5
        positions = [fanned(axis, row.seed if axis.name == "seed" else _plain(row.params.get(axis.name)), rank)
                     for axis in axes]
        positions.append(accuracy.position(value) if value is not None else None)
        lines.append(Line(tuple(positions), value, emphasis=row.key == highlight))
    return [*axes, accuracy], lines


def _plain(value: Any) -> Any:
    """Lists (hidden widths) become tuples so they compare and hash as axis categories."""
    return tuple(value) if isinstance(value, list) else value
