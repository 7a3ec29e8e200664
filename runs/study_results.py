"""A study's results from its stored runs: leaderboard, winner, seed noise, marginal effects.

Pure functions over records (`StudyRecord`, `RunRecord`): the command line and the dashboard call
the same `summarize`, live while a study runs and afterwards.

Choices, and why:
- A configuration's score is its **final validation accuracy** (mean over seeds): the stored model is
  the one after the last epoch, so this is the score of the model a user would take. Best validation
  accuracy (max over epochs) is shown beside it. Test accuracy is shown, never used to choose.
- Noise: Welch's t-test (unequal variances) between the winner's seeds and each other
  configuration's; a difference with two-sided p >= ALPHA is marked within seed noise. With fewer
  than two finished seeds on either side nothing can be judged (`p_value` None).
- Marginal effects: for each varied option, each value's mean ± sd final validation accuracy over
  every finished trial that has it; options ordered by the spread between their best and worst value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALPHA = 0.05
METRIC = "final validation accuracy"


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
    best_val: Stat
    final_val: Stat
    test: Stat
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
    total: int
    """Trials in the spec."""
    counts: dict[str, int]
    """Trials by status (plus 'queued' for those never started)."""
    leaderboard: list[ConfigRow]
    """Best first by mean final validation accuracy; rows without a finished trial last."""
    winner: ConfigRow | None
    effects: list[Effect]
    seeds: int
    noise_judged: bool
    notes: list[str]
    """Sentences the output shows as they are (how the winner was chosen, what cannot be judged)."""


def summarize(study: Any, runs: list[Any]) -> StudyResults:
    """The results of `study` (a StudyRecord) from its runs (study_store.study_runs)."""
    raise NotImplementedError
