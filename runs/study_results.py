"""A study's results from its stored runs: leaderboard, winner, seed noise, marginal effects.

Pure functions over records (`StudyRecord`, `RunRecord`): the command line and the dashboard call
the same `summarize`, live while a study runs and afterwards.

Choices, and why:
- A trial's score is the **validation accuracy of the weights it kept** (`trial_score`): a run keeps and
  reports the best-validation epoch's weights (runs.service), so the score is that epoch's validation
  accuracy (highest, earliest on ties: `RunRecord.best_epoch`) and the score belongs to the model a
  user would take, the same model whose test accuracy is shown. Only a run that kept its last epoch's
  weights (`final["weights"] == "last"`, no validation set) is scored on its last epoch, which then has
  no validation accuracy: no score, no winner. A configuration's score is the mean over its seeds.
  Honestly: picking the best epoch on validation and then reporting that same validation accuracy is
  slightly optimistic (a max over epochs of noisy numbers), which is why the test accuracy of those
  weights, never used to choose, is reported beside it. The last epoch's validation accuracy is kept
  too (`last_val`) to show how much the best epoch gained over it.
- Noise: Welch's t-test (unequal variances) between the winner's seeds and each other
  configuration's; a difference with two-sided p >= ALPHA is marked within seed noise. With fewer
  than two finished seeds on either side nothing can be judged (`p_value` None).
- Marginal effects: for each varied option, each value's mean ± sd score (the same validation accuracy) over
  every finished trial that has it; options ordered by the spread between their best and worst value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean, stdev
from typing import Any

from runs.stats import welch_t_test
from runs.study_spec import Trial, value_text

ALPHA = 0.05
METRIC = "validation accuracy of the kept (best-epoch) weights"


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation (None with fewer than 2 values) of n values."""

    mean: float | None
    sd: float | None
    n: int


@dataclass(frozen=True)
class ConfigRow:
    """One configuration of the leaderboard (a trial key without its seed)."""

    key: str
    params: dict[str, Any]
    seeds: int
    """Trials planned (one per seed)."""
    finished: int
    """Trials completed (the ones the statistics use)."""
    statuses: dict[str, int]
    val: Stat
    """The score: validation accuracy of the kept weights (`trial_score`); chooses the winner."""
    last_val: Stat
    """The last epoch's validation accuracy, for reference."""
    test: Stat
    """Test accuracy of the kept weights: reported, never used to choose."""
    seconds_per_epoch: Stat
    run_ids: list[int] = field(default_factory=list)
    t: float | None = None
    df: float | None = None
    p_value: float | None = None
    """Welch's two-sided p against the winner; None for the winner itself or when it cannot be judged."""
    within_noise: bool | None = None


@dataclass(frozen=True)
class EffectValue:
    value: Any
    text: str
    val: Stat


@dataclass(frozen=True)
class Effect:
    """The marginal effect of one varied option."""

    option: str
    values: list[EffectValue]
    spread: float | None
    """Best minus worst value's mean validation accuracy."""


@dataclass(frozen=True)
class StudyResults:
    study_id: int
    options: list[str]
    """The varied options (flag names), in the spec's order: the leaderboard's columns."""
    total: int
    """Trials in the spec."""
    counts: dict[str, int]
    """Trials by status (plus 'queued' for those never started)."""
    leaderboard: list[ConfigRow]
    """Best first by mean score (`trial_score`); rows without a finished trial last."""
    winner: ConfigRow | None
    effects: list[Effect]
    seeds: int
    noise_judged: bool
    notes: list[str]
    """Sentences the output shows as they are (how the winner was chosen, what cannot be judged)."""


def stat(values: list[float]) -> Stat:
    return Stat(fmean(values) if values else None, stdev(values) if len(values) > 1 else None, len(values))


def trial_score(run: Any) -> float | None:
    """The validation accuracy of the weights `run` (a RunRecord) kept and reported.

    The best-validation epoch's when the run kept those (`final["weights"] == "best"`); otherwise the
    last epoch's (a run without a validation set, or one stored before runs kept their best weights).
    """
    final = run.final or {}
    if final.get("weights") == "best":
        best = run.best_epoch
        return None if best is None else best["val_acc"]
    return final.get("val_acc")


def _scores(run: Any) -> dict[str, float | None]:
    final = run.final or {}
    seconds = [e["seconds"] for e in run.epochs if e.get("seconds") is not None]
    return {"val": trial_score(run), "last_val": final.get("val_acc"), "test": final.get("test_acc"),
            "seconds": fmean(seconds) if seconds else None}


def _column(rows: list[dict[str, float | None]], name: str) -> list[float]:
    return [r[name] for r in rows if r[name] is not None]  # type: ignore[misc]


def summarize(study: Any, runs: list[Any], trials: list[Trial] | None = None) -> StudyResults:
    """The results of `study` (a StudyRecord) from its runs (study_store.study_runs).

    `trials` (the spec's expansion) may be passed to avoid expanding the spec again on every call.
    """
    spec = study.study_spec
    trials = trials if trials is not None else study.expand_trials()
    by_key = {r.trial_key: r for r in runs if r.trial_key is not None}
    groups: dict[str, list[Trial]] = {}
    for trial in trials:
        groups.setdefault(trial.config_key, []).append(trial)
    counts: dict[str, int] = {}
    rows: list[ConfigRow] = []
    finished_scores: dict[str, list[dict[str, float | None]]] = {}
    for key, members in groups.items():
        statuses: dict[str, int] = {}
        scores, run_ids = [], []
        for trial in members:
            run = by_key.get(trial.key)
            status = run.status if run is not None else "queued"
            statuses[status] = statuses.get(status, 0) + 1
            counts[status] = counts.get(status, 0) + 1
            if run is not None:
                run_ids.append(run.id)
                if run.status == "completed":
                    scores.append(_scores(run))
        finished_scores[key] = scores
        rows.append(ConfigRow(
            key=key, params=members[0].params, seeds=len(members), finished=len(scores), statuses=statuses,
            val=stat(_column(scores, "val")), last_val=stat(_column(scores, "last_val")),
            test=stat(_column(scores, "test")), seconds_per_epoch=stat(_column(scores, "seconds")), run_ids=run_ids,
        ))
    rows.sort(key=lambda r: (r.val.mean is None, -(r.val.mean or 0.0)))
    winner = rows[0] if rows and rows[0].val.mean is not None else None
    noise_judged = winner is not None and winner.val.n >= 2
    if winner is not None:
        best = _column(finished_scores[winner.key], "val")
        rows = [rows[0]] + [_compared(row, best, _column(finished_scores[row.key], "val")) for row in rows[1:]]
        winner = rows[0]
    return StudyResults(
        study_id=study.id, options=spec.varied, total=len(trials), counts=counts, leaderboard=rows, winner=winner,
        effects=effects(spec, trials, {k: r for k, r in by_key.items() if r.status == "completed"}),
        seeds=len(spec.seeds), noise_judged=noise_judged, notes=_notes(spec, winner, rows, noise_judged),
    )


def _compared(row: ConfigRow, best: list[float], other: list[float]) -> ConfigRow:
    test = welch_t_test(best, other)
    if test is None:
        return row
    return ConfigRow(**{**row.__dict__, "t": test.t, "df": test.df, "p_value": test.p, "within_noise": test.p >= ALPHA})


def _notes(spec: Any, winner: ConfigRow | None, rows: list[ConfigRow], noise_judged: bool) -> list[str]:
    notes = [f"The winner is chosen on mean {METRIC} over seeds; test accuracy is reported, never used to choose."]
    if winner is None:
        notes.append("No configuration has a finished trial with a validation accuracy yet, so there is no winner"
                     + (" (the runs have no validation split: --val-size 0)." if spec.base["data"]["val_size"] == 0 else "."))
    elif len(spec.seeds) < 2:
        notes.append("One seed per configuration: seed noise cannot be judged, so no difference can be called real; "
                     "use --seeds 3 or more.")
    elif not noise_judged:
        notes.append("The winner has fewer than 2 finished seeds yet: seed noise cannot be judged.")
    else:
        close = [r for r in rows[1:] if r.within_noise]
        notes.append(f"Welch's t-test against the winner (two-sided, alpha {ALPHA}): {len(close)} of "
                     f"{len(rows) - 1} other configuration(s) are within seed noise of it (marked ~).")
    return notes


def effects(spec: Any, trials: list[Trial], completed: dict[str, Any]) -> list[Effect]:
    """Marginal effect of each varied option over the completed trials it applies to, largest spread first."""
    out = []
    for option in spec.varied:
        buckets: dict[str, tuple[Any, list[float]]] = {}
        having = [(t.params[option], completed[t.key]) for t in trials if option in t.params and t.key in completed]
        if option in spec.ranges:
            labelled = _terciles([v for v, _ in having])
        else:
            labelled = {value_text(v): v for v in spec.vary[option]}
        for text, value in labelled.items():
            buckets[text] = (value, [])
        for value, run in having:
            text = _label(option, value, spec, labelled)
            score = trial_score(run)
            if text in buckets and score is not None:
                buckets[text][1].append(score)
        values = [EffectValue(value, text, stat(scores)) for text, (value, scores) in buckets.items()]
        means = [v.val.mean for v in values if v.val.mean is not None]
        out.append(Effect(option, values, max(means) - min(means) if len(means) > 1 else None))
    out.sort(key=lambda e: (e.spread is None, -(e.spread or 0.0)))
    return out


def _terciles(values: list[Any]) -> dict[str, Any]:
    """Three bins of equal count over the drawn values of a range: label -> (low, high)."""
    ordered = sorted(values)
    if not ordered:
        return {}
    cuts = [ordered[0], ordered[len(ordered) // 3], ordered[2 * len(ordered) // 3], ordered[-1]]
    return {f"{cuts[i]:.3g}..{cuts[i + 1]:.3g}": (cuts[i], cuts[i + 1]) for i in range(3) if cuts[i] < cuts[i + 1]} or \
        {f"{ordered[0]:.3g}": (ordered[0], ordered[0])}


def _label(option: str, value: Any, spec: Any, labelled: dict[str, Any]) -> str:
    if option not in spec.ranges:
        return value_text(value)
    for text, (low, high) in labelled.items():
        if low <= value <= high:
            return text
    return ""
