"""The report of a study: its question, the leaderboard (winner chosen on validation), seed noise,
marginal effects and parallel coordinates, then the winner's first run in full.

Built from `runs.study_results.summarize`, the same results `mnist-tui study show` prints.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from runs.report import figures
from runs.report.html import Html, esc, facts, figure, join, page, table, tag
from runs.report.mistakes import TestSets
from runs.report.runs_report import MISSING, run_section, status_badge
from runs.store import RunRecord
from runs.study_results import ConfigRow, Stat, StudyResults, trial_score
from runs.study_spec import value_text


def _pct(s: Stat) -> str:
    if s.mean is None:
        return MISSING
    return f"{100 * s.mean:.2f}" + (f" ± {100 * s.sd:.2f}" if s.sd is not None else "")


def _leaderboard(results: StudyResults) -> Html:
    headers = ["#", *results.options, "seeds done", "val %", "last val %", "test %", "s/epoch", "p vs ★"]
    rows, marks = [], []
    for rank, row in enumerate(results.leaderboard, 1):
        is_winner = results.winner is not None and row.key == results.winner.key
        mark = "★" if is_winner else ("~" if row.within_noise else "")
        rows.append((f"{rank} {mark}".strip(), *(value_text(row.params[o]) if o in row.params else MISSING
                                                 for o in results.options),
                     f"{row.finished}/{row.seeds}", _pct(row.val), _pct(row.last_val), _pct(row.test),
                     MISSING if row.seconds_per_epoch.mean is None else f"{row.seconds_per_epoch.mean:.2f}",
                     MISSING if row.p_value is None else f"{row.p_value:.3f}"))
        marks.append("best" if is_winner else None)
    return table(headers, rows, row_classes=marks) + tag(
        "p", "Accuracy in % as mean ± sd over seeds. val: validation accuracy of the kept (best-epoch) weights, "
             "which chooses the winner ★ (highest mean); last val: the last epoch's. ~ within seed noise of ★ "
             "(Welch's t-test on val, p ≥ 0.05). Test accuracy (of the kept weights) is reported, never used to "
             "choose; beside val it shows how optimistic picking the best epoch on validation was.",
        class_="note")


def _effects(results: StudyResults) -> Html:
    shown = [(e.option, [(v.text, v.val.mean, v.val.sd) for v in e.values]) for e in results.effects
             if any(v.val.mean is not None for v in e.values)]
    if not shown:
        return tag("p", "No finished trial yet.", class_="note")
    rows = [(e.option, MISSING if e.spread is None else f"{100 * e.spread:.2f} pts",
             join([f"{v.text}: {_pct(v.val)} (n={v.val.n})" for v in e.values], "; "))
            for e in results.effects]
    return figure(figures.effects(shown), "Each option's values: mean validation accuracy of the kept weights over every finished "
                  "trial with that value, ±1 sd.") + table(["option", "spread", "values"], rows, class_="settings wrap")


def _parallel(results: StudyResults, runs: dict[int, RunRecord]) -> Html:
    lines: list[tuple[dict[str, Any], float]] = []
    for row in results.leaderboard:
        for run_id in row.run_ids:
            run = runs.get(run_id)
            score = trial_score(run) if run is not None and run.status == "completed" else None
            if isinstance(score, (int, float)):
                lines.append((row.params, float(score)))
    if len(lines) < 2 or not results.options:
        return tag("p", "Parallel coordinates need at least two finished trials.", class_="note")
    def shown(value: Any) -> Any:
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else value_text(value)

    columns = [[shown(params[o]) if o in params else "n/a" for params, _ in lines] for o in results.options]
    return figure(figures.parallel_coordinates(results.options, columns, [s for _, s in lines]),
                  "One line per finished trial (each seed), coloured by the validation accuracy of its kept weights.")


def _winner_line(row: ConfigRow | None, options: Sequence[str]) -> str:
    if row is None:
        return MISSING
    return " ".join(f"{o}={value_text(row.params[o])}" for o in options if o in row.params) or "base settings"


def study_report(study: Any, results: StudyResults, runs: Sequence[RunRecord], models_dir: Path,
                 data_dir: str | None = None) -> str:
    """The whole page for a study (a StudyRecord), its results and its runs; `data_dir` as `--data-dir`."""
    by_id = {r.id: r for r in runs}
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    done = sum(n for status, n in results.counts.items() if status in ("completed", "diverged"))
    winner = results.winner
    body = [
        tag("p", join([f"Study {study.id} ", status_badge(study.status),
                       f" · created {str(study.created_at)[:19].replace('T', ' ')} · {results.seeds} seed(s) per "
                       f"configuration · varied: {', '.join(results.options) or 'nothing'}"])),
        facts([("trials finished", f"{done} / {results.total}"), ("winner", _winner_line(winner, results.options)),
               ("its validation (kept weights)", _pct(winner.val) + " %" if winner else MISSING),
               ("its test accuracy", _pct(winner.test) + " %" if winner else MISSING)]),
    ]
    if study.message:
        body.append(tag("p", study.message, class_="message"))
    body += [tag("p", note, class_="note") for note in results.notes]
    body += [tag("h2", "Leaderboard"), _leaderboard(results), tag("h2", "Marginal effects"), _effects(results),
             tag("h2", "Parallel coordinates"), _parallel(results, by_id)]
    first = next((by_id[i] for i in (winner.run_ids if winner else []) if i in by_id), None)
    if first is not None:
        body.append(tag("p", "Below: the winner's first run in full (its first seed).", class_="note"))
        body.append(run_section(first, models_dir, TestSets(data_dir)))
    body.append(tag("footer", f"Written by mnist-tui on {generated}. Self-contained: every plot is inline."))
    title = f"mnist-tui report: study {study.id}"
    return page(title, f"{study.name} · {results.total} trials · generated {generated}", join(body))
