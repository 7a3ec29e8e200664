"""`mnist-tui study run|resume|list|show|report`: many runs answering one question, the winner chosen on validation.

`study run` builds the study from `train` flags (what stays fixed), `--vary`, `--seeds`, `--random`,
`--spec FILE` and `--preset` (tui.cli.study_options), prints the number of trials and an estimated
time, then runs the trials on a local process pool (or `--dask`) and follows them live: one line per
finished trial, or with `--json` one JSON object per event. Running the same spec again continues the
same study, like `study resume ID`. The first Ctrl-C cancels (running trials stop after their batch
and are recorded `cancelled`; the study is resumable), a second one aborts at once.

Exit codes: 0 every trial completed (or diverged — a result, not a failure), 1 some trials failed or
were interrupted (resume reruns them) or the executor could not start, 2 bad input (option, value,
spec file, unknown study id, or a refused size), 130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
from dataclasses import asdict
from typing import Any

from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from nn_core.config import ConfigError
from runs.dask_executor import DaskNotInstalledError, DaskSpecError, make_executor
from runs.events import EpochDone, RunFinished, RunStarted
from runs.store import RunStore, StoreError
from runs.local_executor import LocalPoolExecutor, default_workers
from runs.study_estimate import study_seconds
from runs.study_executor import ExecutorError
from runs.study_results import StudyResults, summarize
from runs.study_runner import StudyEvent, StudyOutcome, pending_trials, run_study
from runs.study_spec import SpecError, StudySpec, value_text
from runs.study_store import (StudyRecord, UnknownStudyError, create_study, find_study_by_spec, get_study,
                              list_studies, study_runs)
from tui.cli import common, signals, study_options, train_cmd
from tui.cli.fit_table import FitColumn, fitted_table
from tui.safe_text import plain

ASK_ABOVE = 500
REFUSE_ABOVE = 10_000
STUDY_STATUS_STYLE = {"completed": "green", "running": "cyan", "cancelled": "yellow", "interrupted": "magenta",
                      "failed": "red"}


STUDY_COLUMNS = [  # `keep`: what goes last at 80 columns (the id, the winner and its score stay)
    FitColumn("id", "right", keep=9), FitColumn("name", keep=5, fold=True), FitColumn("created (UTC)", keep=1),
    FitColumn("trials done", "right", keep=4), FitColumn("winner (on validation)", keep=8, fold=True),
    FitColumn("val acc", "right", keep=7), FitColumn("status", keep=6),
]

def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("study", help="run many trainings to compare options; results chosen on validation")
    actions = parser.add_subparsers(dest="study_command", metavar="ACTION", required=True)

    run = actions.add_parser(
        "run", help="start (or continue) a study",
        description="Train every combination of the --vary values, once per seed, in parallel. "
        "Train flags set what stays fixed. Running the same spec again continues the same study.",
    )
    train_cmd.add_options(run)
    for action in run._actions:  # only flags given on the command line reach the spec (file values stay)
        if action.dest != "help":
            action.default = argparse.SUPPRESS
    spec = run.add_argument_group("study")
    spec.add_argument("--vary", action="append", metavar="NAME=V1,V2",
                      help="an option to compare, by its train flag name (hidden-sizes values are separated by /); "
                      "a range kind:low..high (log, lin, int) with --random; repeatable")
    spec.add_argument("--seeds", metavar="N|S1,S2", help="seeds per configuration: a count (3 = 0,1,2) or a list "
                      "(default: the --seed, or 3 with --preset)")
    spec.add_argument("--random", type=common.positive_int, metavar="N", help="random search: N points from the ranges")
    spec.add_argument("--random-seed", type=common.non_negative_int, metavar="S", help="seed of the random search (default 0)")
    spec.add_argument("--spec", metavar="FILE", help="the study as a TOML file (see README \"Studies\")")
    spec.add_argument("--preset", metavar="NAME", help="original = 0/1/2 hidden layers x sgd/momentum x relu/sigmoid")
    spec.add_argument("--name", metavar="TEXT", help="a name shown in lists")
    _add_execution(run)
    run.add_argument("--yes", action="store_true", help=f"do not ask above {ASK_ABOVE} trials; allow more than {REFUSE_ABOVE:,}")
    run.set_defaults(handler=run_command)

    resume = actions.add_parser("resume", help="rerun a study's interrupted, failed and cancelled trials")
    resume.add_argument("study_id", type=common.positive_int, metavar="ID")
    _add_execution(resume)
    resume.set_defaults(handler=resume_command)

    listing = actions.add_parser("list", help="every study: status, trials done, winner")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_command)

    show = actions.add_parser("show", help="a study's leaderboard, noise and marginal effects")
    show.add_argument("study_id", type=common.positive_int, metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_command)

    report = actions.add_parser("report", help="a study as one self-contained HTML page with tables and plots")
    report.add_argument("study_id", type=common.positive_int, metavar="ID")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    report.add_argument("--data-dir", metavar="DIR", help="folder holding the four IDX files (for the mistakes)")
    report.set_defaults(handler=report_command)


def _add_execution(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("execution")
    group.add_argument("--workers", type=common.positive_int, metavar="N", help="local worker processes (default: one per core)")
    group.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: tcp://host:8786, or local[:N] for a LocalCluster")
    group.add_argument("--json", action="store_true", help="one JSON object per line: each trial event, then the results")


# ------------------------------------------------------------------- helpers
def _json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _executor(args: argparse.Namespace) -> Any:
    """The executor the flags ask for; raises runs.dask_executor's errors or ExecutorError with a user message."""
    if args.dask:
        return make_executor(args.dask, workers=args.workers)
    return LocalPoolExecutor(args.workers)


def _open(command: str) -> RunStore | int:
    return common.open_store(f"study {command}")


# ----------------------------------------------------------------- run/resume
def run_command(args: argparse.Namespace) -> int:
    explicit = {a.dest: getattr(args, a.dest) for a in study_options._train_parser()._actions
                if a.dest != "help" and hasattr(args, a.dest)}
    try:
        spec = study_options.build_spec(args, explicit)
        count = spec.count()
    except SpecError as error:
        return common.usage_error("study run", str(error))
    except ConfigError as error:
        flag = train_cmd.FLAG_FOR_FIELD.get(error.field, "--" + error.field)
        return common.usage_error("study run", f"argument {flag}: got {error.value!r}, expected {error.expected}")
    if count > REFUSE_ABOVE and not args.yes:
        return common.usage_error("study run", f"{count:,} trials is more than {REFUSE_ABOVE:,}; "
                                  "narrow the grid or pass --yes if you mean it")
    try:
        trials = spec.trials()
    except SpecError as error:
        return common.usage_error("study run", str(error))
    store = _open("run")
    if isinstance(store, int):
        return store
    with store:
        existing = find_study_by_spec(store, spec)
        if existing is None and len(trials) > ASK_ABOVE and not args.yes and not _confirm(trials, args):
            print("not started", file=sys.stderr)
            return common.EXIT_USAGE
        return _execute(args, store, spec, trials, existing)


def _confirm(trials: list, args: argparse.Namespace) -> bool:
    workers = args.workers or default_workers()
    print(f"{len(trials)} trials, about {_duration(study_seconds([t.config for t in trials], workers))} on {workers} workers. "
          "Start? [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def resume_command(args: argparse.Namespace) -> int:
    store = _open("resume")
    if isinstance(store, int):
        return store
    with store:
        try:
            study = get_study(store, args.study_id)
        except UnknownStudyError:
            return common.usage_error("study resume", f"argument ID: unknown study id {args.study_id} (see `mnist-tui study list`)")
        try:
            spec, trials = study.study_spec, study.expand_trials()
        except StoreError as error:
            return common.failure("study resume", plain(error))
        return _execute(args, store, spec, trials, study)


def _execute(args: argparse.Namespace, store: RunStore, spec: StudySpec, trials: list, existing: StudyRecord | None) -> int:
    command = "study run" if existing is None or getattr(args, "study_command", "") == "run" else "study resume"
    if trials:
        error = _check_data(trials[0].config)  # with --dask too: the client loads and scatters the data
        if error:
            return common.failure(command, error)
    try:
        executor = _executor(args)
    except (DaskSpecError, DaskNotInstalledError) as error:  # bad usage: exit 2
        return common.usage_error(command, str(error))
    except ExecutorError as error:  # e.g. a scheduler that cannot be reached: exit 1, nothing recorded
        return common.failure(command, str(error))
    view = JsonView() if args.json else LineView()
    cancel = threading.Event()
    received: list[int] = []
    try:
        study_id = existing.id if existing is not None else create_study(store, spec, len(trials))
        left = pending_trials(store, study_id, trials)[0] if existing is not None else trials
        view.start(study_id, spec, trials, left, executor.workers)
        with train_cmd.stop_signals_cancel(cancel, received):
            outcome = run_study(store, study_id, executor, on_event=view.on_event, cancel=cancel)
    except KeyboardInterrupt as interrupt:
        signals.ignore()
        print("aborted; `mnist-tui study resume` reruns the unfinished trials", file=sys.stderr)
        return signals.exit_code(interrupt)
    except StoreError as error:
        return common.failure(command, str(error))
    except Exception as error:  # noqa: BLE001 - recorded as the study's failure by run_study; shown, not a traceback
        return common.failure(command, f"the study failed: {type(error).__name__}: {plain(error)}")
    finally:
        view.close()
        executor.close()
    study = get_study(store, outcome.study_id)
    view.finish(outcome, summarize(study, study_runs(store, study.id), trials))
    if outcome.status == "cancelled":
        return 128 + received[0] if received else common.EXIT_INTERRUPTED
    if outcome.status != "completed":
        print(f"mnist-tui {command}: study {study.id} {outcome.status}: {plain(outcome.message)}", file=sys.stderr)
        return common.EXIT_FAILED
    return common.EXIT_OK


def _check_data(config: Any) -> str | None:
    """Load (and verify) the study's data here first, so missing data is one clear message, not N failed trials."""
    from data.errors import DataError
    from data.loader import load_dataset

    try:
        load_dataset(config.data.dataset, config.data.data_dir)
    except DataError as error:
        return str(error)
    return None


class KeptVal:
    """Each running trial's best validation accuracy so far, from its epoch events, so a finished trial's
    line shows the validation accuracy of the weights it kept (runs.study_results.trial_score) live."""

    def __init__(self) -> None:
        self.best: dict[str, float] = {}

    def seen(self, event: StudyEvent) -> None:
        e = event.event
        if isinstance(e, RunStarted):
            self.best.pop(event.trial_key, None)
        elif isinstance(e, EpochDone) and e.record.get("val_acc") is not None:
            self.best[event.trial_key] = max(self.best.get(event.trial_key, e.record["val_acc"]), e.record["val_acc"])

    def finished(self, trial_key: str, final: dict[str, Any]) -> float | None:
        best = self.best.pop(trial_key, None)
        return best if final.get("weights") == "best" else final.get("val_acc")


class LineView:
    """One line per finished trial, after a header with the size and the estimated time.

    On a terminal a progress bar (trials done, running, queued, ETA) stays under the lines.
    """

    def __init__(self) -> None:
        self.console = common.stdout_console()
        self.bar: Progress | None = None
        self.kept = KeptVal()
        self.task: Any = None

    def _update(self, p: Any) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=p.done, total=p.total,
                            status=f"{p.running} running, {p.queued} queued, ETA {_duration(p.eta_seconds)}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def start(self, study_id: int, spec: StudySpec, trials: list, left: list, workers: int) -> None:
        configs = len({t.config_key for t in trials})
        estimate = study_seconds([t.config for t in left], workers)
        todo = f"{len(left)} of them to run" if len(left) != len(trials) else "all to run"
        self.console.print(Text(
            f"study {study_id}{' ' + plain(spec.name) if spec.name else ''}: {len(trials)} trials "
            f"({configs} configurations x {len(spec.seeds)} seed{'s' if len(spec.seeds) != 1 else ''}), {todo} "
            f"on {workers} workers; estimated {_duration(estimate)} (from measured seconds per epoch)"))
        if self.console.is_terminal:
            self.bar = Progress(TextColumn("trials"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                                console=self.console, transient=True)
            self.task = self.bar.add_task("trials", total=len(trials), completed=len(trials) - len(left), status="")
            self.bar.start()

    def on_event(self, event: StudyEvent) -> None:
        self._update(event.progress)
        self.kept.seen(event)
        if not isinstance(event.event, RunFinished):
            return
        p, e = event.progress, event.event
        width = len(str(p.total))
        final = e.final or {}
        run = f"run {event.run_id}" if event.run_id is not None else "no run"
        val = self.kept.finished(event.trial_key, final)
        self.console.print(Text(
            f"[{p.done:>{width}}/{p.total}] {run:<8} {e.status:<11} val {common.percent(val):>7}  "
            f"test {common.percent(final.get('test_acc')):>7}  {plain(event.trial_key)}"
            + (f"  ({plain(e.message)})" if e.status != "completed" and e.message else "")
            + (f"  · {p.running} running, {p.queued} queued, ETA {_duration(p.eta_seconds)}" if p.queued or p.running else "")
        ))

    def finish(self, outcome: StudyOutcome, results: StudyResults) -> None:
        self.close()
        show_results(self.console, results, get_title(outcome))


def get_title(outcome: StudyOutcome) -> str:
    return f"study {outcome.study_id} {outcome.status}" + (f" ({outcome.skipped} trials already done)" if outcome.skipped else "")


class JsonView:
    def __init__(self) -> None:
        self.kept = KeptVal()

    def close(self) -> None:
        return None

    def start(self, study_id: int, spec: StudySpec, trials: list, left: list, workers: int) -> None:
        _json({"event": "study", "study_id": study_id, "trials": len(trials), "to_run": len(left), "workers": workers,
               "estimated_seconds": round(study_seconds([t.config for t in left], workers), 1),
               "spec": spec.to_dict()})

    def on_event(self, event: StudyEvent) -> None:
        e = event.event
        self.kept.seen(event)
        progress = asdict(event.progress)
        if isinstance(e, RunStarted):
            _json({"event": "trial-started", "trial_key": event.trial_key, "run_id": event.run_id, **progress})
        elif isinstance(e, EpochDone):
            _json({"event": "epoch", "trial_key": event.trial_key, "run_id": event.run_id, **e.record, **progress})
        elif isinstance(e, RunFinished):
            final = e.final or {}
            _json({"event": "trial-finished", "trial_key": event.trial_key, "run_id": event.run_id, "status": e.status,
                   "message": e.message, "val_acc": self.kept.finished(event.trial_key, final),
                   "last_val_acc": final.get("val_acc"), "test_acc": final.get("test_acc"), **progress})

    def finish(self, outcome: StudyOutcome, results: StudyResults) -> None:
        _json({"event": "summary", "status": outcome.status, "message": outcome.message, "skipped": outcome.skipped,
               **results_dict(results)})


# ------------------------------------------------------------------- results
def results_dict(results: StudyResults) -> dict[str, Any]:
    out = asdict(results)
    out["winner"] = results.winner.key if results.winner else None
    return out


def _pm(stat: Any, percent: bool = True) -> str:
    """`97.12 ± 0.08` (percentage points) or `0.21 ± 0.01` (seconds); no ± with fewer than 2 values."""
    if stat.mean is None:
        return "-"
    scale = 100 if percent else 1
    return f"{scale * stat.mean:.2f}" + ("" if stat.sd is None else f"±{scale * stat.sd:.2f}")


def _seconds(stat: Any) -> str:
    return "-" if stat.mean is None else f"{stat.mean:.2f}"


def _done(row: Any) -> str:
    others = ", ".join(f"{n} {s}" for s, n in sorted(row.statuses.items()) if s != "completed")
    return f"{row.finished}/{row.seeds}" + (f" ({others})" if others else "")


def show_results(console: Any, results: StudyResults, title: str) -> None:
    """Leaderboard (★ winner, ~ within seed noise of it), marginal effects, then the notes."""
    wide = console.width >= 100  # last val is left out below 100 columns so the rest fits in 80
    board = Table(title=Text(title), box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, caption=(
        "accuracy % mean±sd over seeds · val = validation accuracy of the kept (best-epoch) weights, chooses the "
        "winner ★ · " + ("last val = the last epoch's · " if wide else "")
        + "test (of the kept weights) is reported, never used to choose · ~ within seed noise of ★ (p: Welch's "
        "t-test vs ★)"))
    board.add_column("")
    options = results.options
    for option in options:
        widest = max((len(value_text(r.params.get(option, "-"))) for r in results.leaderboard), default=1)
        board.add_column(Text(plain(option)), overflow="fold", min_width=min(widest, 12))
    for name in ("done", "val", *(("last val",) if wide else ()), "test", "s/ep", "p"):
        board.add_column(name, justify="right", no_wrap=True)
    for row in results.leaderboard:
        mark = "★" if results.winner is row else ("~" if row.within_noise else "")
        values = [Text(plain(value_text(row.params[o])) if o in row.params else "-") for o in options]
        board.add_row(mark, *values, Text(plain(_done(row))), _pm(row.val),
                      *((_pm(row.last_val),) if wide else ()), _pm(row.test), _seconds(row.seconds_per_epoch),
                      "-" if row.p_value is None else f"{row.p_value:.3f}")
    console.print(board)
    if results.effects:
        effects = Table(title="marginal effects", box=box.SIMPLE_HEAD, pad_edge=False, caption="val % (kept weights) mean±sd over every finished trial with the value; "
                        "options by spread (best - worst value), largest first")
        for name, justify in (("option", "left"), ("spread", "right"), ("value", "left"), ("val", "right"),
                              ("trials", "right")):
            effects.add_column(name, justify=justify, overflow="fold")
        for effect in results.effects:
            spread = "-" if effect.spread is None else f"{100 * effect.spread:.2f} pts"
            for i, v in enumerate(effect.values):
                effects.add_row(Text(plain(effect.option)) if i == 0 else "", spread if i == 0 else "",
                                Text(plain(v.text)), _pm(v.val), str(v.val.n), end_section=i == len(effect.values) - 1)
        console.print(effects)
    for note in results.notes:
        console.print(Text(note))


def _load_study(store: RunStore, study_id: int, command: str) -> StudyRecord | int:
    try:
        return get_study(store, study_id)
    except UnknownStudyError:
        return common.usage_error(f"study {command}", f"argument ID: unknown study id {study_id} (see `mnist-tui study list`)")


def show_command(args: argparse.Namespace) -> int:
    store = _open("show")
    if isinstance(store, int):
        return store
    with store:
        study = _load_study(store, args.study_id, "show")
        if isinstance(study, int):
            return study
        try:
            results = summarize(study, study_runs(store, study.id))
        except StoreError as error:
            return common.failure("study show", plain(error))
        if args.json:
            print(json.dumps({"study": _study_dict(study), **results_dict(results)}, indent=1))
            return common.EXIT_OK
        console = common.stdout_console()
        console.print(Text.assemble((f"study {study.id}", "bold"), f" {plain(study.name)}  ",
                                    (study.status, STUDY_STATUS_STYLE.get(study.status, "")),
                                    f"  created {plain(study.created_at)}  {results.total} trials"))
        if study.message:
            console.print(Text(f"message: {plain(study.message)}"))
        show_results(console, results, f"leaderboard of study {study.id}")
        return common.EXIT_OK


def report_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from runs.report.study_report import study_report

    target = Path(args.output)
    refused = common.output_target_error("study report", target, args.force)
    if refused is not None:
        return refused
    store = _open("report")
    if isinstance(store, int):
        return store
    with store:
        study = _load_study(store, args.study_id, "report")
        if isinstance(study, int):
            return study
        try:
            runs = study_runs(store, study.id)
            page = study_report(study, summarize(study, runs), runs, store.models_dir, args.data_dir)
        except StoreError as error:
            return common.failure("study report", plain(error))
    failed = common.write_output_file("study report", target, page, args.force)
    if failed is not None:
        return failed
    print(f"wrote the report of study {study.id} to {target}", file=sys.stderr)
    return common.EXIT_OK


def _study_dict(study: StudyRecord) -> dict[str, Any]:
    return {"id": study.id, "name": study.name, "status": study.status, "message": study.message,
            "created_at": study.created_at, "ended_at": study.ended_at, "trials": study.trials, "spec": study.spec}


def list_command(args: argparse.Namespace) -> int:
    store = _open("list")
    if isinstance(store, int):
        return store
    with store:
        rows = []
        for study in list_studies(store):
            runs = study_runs(store, study.id)
            done = sum(1 for r in runs if r.status in ("completed", "diverged"))
            try:
                winner = summarize(study, runs).winner
            except StoreError:
                winner = None
            rows.append((study, done, winner))
        if args.json:
            print(json.dumps([{**_study_dict(s), "done": d, "winner": w.key if w else None,
                               "winner_val_acc": w.val.mean if w else None} for s, d, w in rows], indent=1))
            return common.EXIT_OK
        console = common.stdout_console()
        if not rows:
            console.print("no studies yet — start one with `mnist-tui study run --preset original`")
            return common.EXIT_OK
        cells = [[Text(str(study.id)), Text(plain(study.name)), Text(plain(study.created_at[:16].replace("T", " "))),
                  Text(f"{done}/{study.trials}"), Text(plain(winner.key if winner else "-")),
                  Text(common.percent(winner.val.mean if winner else None)),
                  Text(study.status, style=STUDY_STATUS_STYLE.get(study.status, ""))]
                 for study, done, winner in rows]
        console.print(fitted_table(STUDY_COLUMNS, cells, console.width, title="studies"))
        return common.EXIT_OK
