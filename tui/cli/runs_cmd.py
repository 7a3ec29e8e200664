"""`mnist-tui runs list|show|compare|export|report|delete`: read, compare, export, report and prune the run history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator

from rich.table import Table
from rich.text import Text

from runs.export import FORMATS, export_text
from runs.store import DamagedRunError, RunRecord, RunStore, StoreError
from tui.cli import common, inside_cmd
from tui.cli.fit_table import FitColumn, fitted_table
from tui.comparison import MISSING, best_indices, config_diff, with_defaults
from tui.run_summary import RunSummary, summarize
from tui.safe_text import assemble, plain, safe_text

STATUS_STYLE = {
    "completed": "green", "running": "cyan", "cancelled": "yellow",
    "diverged": "red", "failed": "red", "interrupted": "magenta", "damaged": "bold red reverse",
}
BEST_MARK = " ★"
LIST_COLUMNS = [  # `keep`: what goes last when the terminal is narrow (id, network and the results stay)
    FitColumn("id", "right", keep=9), FitColumn("started (UTC)", keep=1), FitColumn("dataset", keep=4),
    FitColumn("network", keep=8, fold=True, fold_min=20), FitColumn("options", keep=2, fold=True),
    FitColumn("epochs", "right", keep=5), FitColumn("best val", "right", keep=7),
    FitColumn("test acc", "right", keep=6), FitColumn("train time", "right", keep=0), FitColumn("status", keep=7),
]
TABLE_PAGE = 50
"""Runs `runs list` shows by default: a table of 100,000 rows helps nobody and takes seconds."""
STREAM_CHUNK = 500
"""Runs read per step when listing many (JSON output streams; memory stays flat)."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("runs", help="list, show, compare, export or delete recorded runs")
    actions = parser.add_subparsers(dest="runs_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="recorded runs, newest first, one line each (a page of 50)")
    listing.add_argument("--limit", type=common.non_negative_int, metavar="N",
                         help=f"at most N runs (0: all); default {TABLE_PAGE} for the table, all for --json/--jsonl")
    listing.add_argument("--offset", type=common.non_negative_int, default=0, metavar="N",
                         help="skip the N newest runs first (the next page: --offset 50)")
    shape = listing.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    shape.add_argument("--jsonl", action="store_true", help="print one JSON object per line instead of a table")
    listing.set_defaults(handler=list_runs)

    vacuum = actions.add_parser("vacuum", help="give the space of deleted runs back to the disk (rewrites the store)")
    vacuum.set_defaults(handler=vacuum_store)

    show = actions.add_parser("show", help="one run: config, data, epochs, final metrics, confusion matrix")
    show.add_argument("run_id", type=common.positive_int, metavar="ID")
    show.add_argument("--json", action="store_true", help="print the whole run as JSON")
    show.set_defaults(handler=show_run)

    compare = actions.add_parser("compare", help="runs side by side: differing settings highlighted, best marked")
    compare.add_argument("run_ids", type=common.positive_int, nargs="+", metavar="ID")
    compare.add_argument("--all", action="store_true", help="show every setting, not only those that differ")
    compare.set_defaults(handler=compare_runs)

    export = actions.add_parser("export", help="a run's per-epoch history as CSV or JSON")
    export.add_argument("run_id", type=common.positive_int, metavar="ID")
    export.add_argument("--format", choices=FORMATS,
                        help="csv or json (default: from FILE's extension, .csv or .json; csv on stdout)")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (whole or not at all) instead of stdout")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=export_run)

    report = actions.add_parser("report", help="one self-contained HTML page with tables and plots of runs")
    report.add_argument("run_ids", type=common.positive_int, nargs="+", metavar="ID")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    report.add_argument("--data-dir", metavar="DIR", help="folder holding the four IDX files (for the mistakes)")
    report.set_defaults(handler=report_runs)

    from tui.cli import continue_cmd  # noqa: PLC0415 - its own module, registered here

    continue_cmd.register(actions)
    inside_cmd.register(actions, _with_store)

    delete = actions.add_parser("delete", help="delete a run and its model file")
    delete.add_argument("run_id", type=common.positive_int, metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=delete_run)


def _with_store(args: argparse.Namespace, action) -> int:
    store = common.open_store("runs")
    if isinstance(store, int):
        return store
    with store:
        try:
            return action(store)
        except StoreError as error:
            return common.failure("runs", str(error))


def _load(store: RunStore, run_id: int, damaged_too: bool = False) -> RunRecord | int:
    run = common.get_run(store, run_id, damaged_too=damaged_too)
    if run is None:
        return common.usage_error("runs", f"argument ID: unknown run id {run_id} (see `mnist-tui runs list`)")
    return run


def _status(status: str) -> Text:
    return safe_text(status, STATUS_STYLE.get(status, ""))


def _report_damaged(runs: list[RunRecord]) -> int:
    """Name each damaged run and what is wrong on stderr; exit 1 if there is any (the rest was shown)."""
    damaged = [r for r in runs if r.damaged]
    for run in damaged:
        print(plain(f"mnist-tui runs: {DamagedRunError(run)}", multiline=True), file=sys.stderr)
    return common.EXIT_FAILED if damaged else common.EXIT_OK


# ---------------------------------------------------------------------- list
def _summary_dict(run: RunRecord, s: RunSummary) -> dict[str, Any]:
    return {
        "id": run.id, "status": run.status, "message": run.message, "started_at": run.started_at,
        "ended_at": run.ended_at, "dataset": s.dataset, "architecture": s.architecture, "options": s.options,
        "epochs_done": s.epochs_done, "epochs_planned": s.epochs_planned, "best_val_acc": s.best_val,
        "best_epoch": s.best_epoch, "test_acc": s.test_acc, "test_weights": s.test_weights, "seconds": round(s.seconds, 3),
        "config": run.config, "study_id": run.study_id, "trial_key": run.trial_key, "problems": list(run.problems),
    }


def _pages(store: RunStore, limit: int, offset: int) -> Iterator[list[RunRecord]]:
    """The runs to list, newest first, a chunk at a time: memory stays bounded whatever the store's size."""
    left = limit or None
    page = store.runs_page(min(STREAM_CHUNK, left or STREAM_CHUNK), offset=offset)
    while page:
        yield page
        if left is not None:
            left -= len(page)
            if left <= 0:
                return
        page = store.runs_page(min(STREAM_CHUNK, left or STREAM_CHUNK), before_id=page[-1].id)


def _stream_json(store: RunStore, args: argparse.Namespace) -> int:
    damaged, first = [], True
    out = sys.stdout
    if args.json:
        out.write("[")
    for page in _pages(store, args.limit or 0, args.offset):
        for run in page:
            if args.jsonl:
                out.write(json.dumps(_summary_dict(run, summarize(run))) + "\n")
            else:
                out.write(("\n" if first else ",\n") + json.dumps(_summary_dict(run, summarize(run)), indent=1))
            first = False
            if run.damaged:
                damaged.append(run)
    if args.json:
        out.write("\n]\n" if not first else "]\n")
    out.flush()
    return _report_damaged(damaged)


def list_runs(args: argparse.Namespace) -> int:
    def action(store: RunStore) -> int:
        if args.json or args.jsonl:
            return _stream_json(store, args)
        limit = TABLE_PAGE if args.limit is None else args.limit
        runs = [run for page in _pages(store, limit, args.offset) for run in page]
        console = common.stdout_console()
        if not runs:
            console.print("no runs recorded yet — start one with `mnist-tui train` or the dashboard"
                          if args.offset == 0 else f"no runs past the {args.offset} newest")
            return common.EXIT_OK
        rows = []
        for run in runs:
            s = summarize(run)
            best = "-" if s.best_val is None else f"{common.percent(s.best_val)} @{s.best_epoch}"
            cells = (str(run.id), run.started_at[:16].replace("T", " "), s.dataset, s.architecture, s.options,
                     f"{s.epochs_done}/{s.epochs_planned}", best, s.test_label, f"{s.seconds:.1f}s")
            rows.append([*map(safe_text, cells), _status(s.status)])
        console.print(fitted_table(LIST_COLUMNS, rows, console.width, title=assemble("runs in ", store.path)))
        total = store.run_count()
        if args.offset + len(runs) < total:
            console.print(f"runs {args.offset + 1}–{args.offset + len(runs)} of {total:,}, newest first; "
                          f"the next page: --offset {args.offset + len(runs)}; every run: --limit 0 or --jsonl",
                          style="dim", highlight=False)
        return _report_damaged(runs)

    return _with_store(args, action)


def vacuum_store(args: argparse.Namespace) -> int:
    def action(store: RunStore) -> int:
        before, after = store.vacuum()
        print(f"{store.path}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
        return common.EXIT_OK

    return _with_store(args, action)


# ---------------------------------------------------------------------- show
def show_run(args: argparse.Namespace) -> int:
    def action(store: RunStore) -> int:
        run = _load(store, args.run_id)
        if isinstance(run, int):
            return run
        if args.json:
            sys.stdout.write(export_text(run, "json"))
            return common.EXIT_OK
        console = common.stdout_console()
        s = summarize(run)
        console.print(assemble(
            (f"run {run.id}  ", "bold"), _status(run.status),
            f"  {s.architecture}  {s.options}  started {run.started_at}  ended {run.ended_at or '-'}",
        ))
        if run.message:
            console.print(assemble("message: ", safe_text(run.message, multiline=True)))
        if run.study_id is not None:
            console.print(assemble(
                f"study {run.study_id}, trial ", safe_text(str(run.trial_key)),
                f" (see `mnist-tui study show {run.study_id}`)",
            ))
        source = run.dataset.get("source", {})
        console.print(assemble(f"data: {s.dataset} from {source.get('kind', '?')} {source.get('path', '')} "
                               f"({run.dataset.get('train_size', '?')}/{run.dataset.get('val_size', '?')}/"
                               f"{run.dataset.get('test_size', '?')} train/val/test)"))
        for name, digest in sorted(run.dataset.get("checksums", {}).items()):
            console.print(assemble(f"  sha256 {digest}  {name}"))
        settings = Table(title="config", show_header=False)
        for name, value in run.run_config.flat().items():
            settings.add_row(safe_text(name), safe_text(json.dumps(value)))
        console.print(settings)
        console.print(_epoch_table(run))
        if run.final or s.test_acc is not None:
            console.print(_final_line(run.final or {}, s))
        if run.confusion:
            console.print(_confusion_table(run.confusion, run.final or {}, _class_names(s.dataset)))
        if run.model_path:
            console.print(assemble("model: ", run.model_path))
        return common.EXIT_OK

    return _with_store(args, action)


def _final_line(final: dict[str, Any], s: RunSummary) -> str:
    """The reported test accuracy and which weights it is of (and the other set's, when there are two)."""
    if final.get("weights") == "best":
        return (f"final: test accuracy {common.percent(s.test_acc)} with the best-validation weights (epoch "
                f"{final.get('best_epoch')}), test loss {common.number(final.get('test_loss'))}; "
                f"last epoch's weights: {common.percent(final.get('test_acc_last'))}")
    no_val = "; no validation set, so no best weights" if final and final.get("best_epoch", 0) is None else ""
    loss = f", test loss {common.number(final.get('test_loss'))}" if final else ""
    return f"final: test accuracy {common.percent(s.test_acc)} with the last epoch's weights{loss}{no_val}"


def _epoch_table(run: RunRecord) -> Table:
    table = Table(title="epochs")
    for name in ("epoch", "train loss", "train acc", "val loss", "val acc", "test loss", "test acc", "lr", "s"):
        table.add_column(name, justify="right")
    best = run.best_epoch
    for e in run.epochs:
        table.add_row(*map(safe_text, (
            f"{e['epoch']}{BEST_MARK if e is best else ''}", common.number(e.get("train_loss")),
            common.percent(e.get("train_acc")), common.number(e.get("val_loss")), common.percent(e.get("val_acc")),
            common.number(e.get("test_loss")), common.percent(e.get("test_acc")),
            "-" if e.get("lr") is None else f"{e['lr']:.4g}", common.number(e.get("seconds"), 1),
        )))
    return table


def _class_names(dataset: str) -> list[str]:
    from data.registry import get_spec

    try:
        return list(get_spec(dataset).class_names)
    except KeyError:  # a dataset this version does not know: number the classes
        return [str(i) for i in range(10)]


def _confusion_table(confusion: list[list[int]], final: dict[str, Any], names: list[str]) -> Table:
    """Counts with the diagonal in green, per-class recall at the right and precision at the bottom."""
    table = Table(title="confusion matrix (rows true, columns predicted)")
    table.add_column("")
    for j in range(len(confusion)):
        table.add_column(str(j), justify="right")
    recall, precision = final.get("recall"), final.get("precision")
    if recall:
        table.add_column("recall", justify="right")
    for i, row in enumerate(confusion):
        cells = [safe_text(v, style="bold green" if i == j else ("red" if v else "dim")) for j, v in enumerate(row)]
        label = names[i] if names[i] == str(i) else f"{i} {names[i]}"
        table.add_row(safe_text(label), *cells, *([common.percent(recall[i])] if recall else []))
    if precision:
        table.add_row("precision", *(f"{100 * p:.1f}%" for p in precision), *([""] if recall else []),
                      style="italic")
    return table


# ------------------------------------------------------------------- compare
def _value(value: Any) -> str:
    if value is MISSING:
        return "—"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return json.dumps(value) if value is None or isinstance(value, bool) else str(value)


def _load_all(store: RunStore, run_ids: list[int]) -> list[RunRecord] | int:
    """Each distinct run of `run_ids` in order, or the exit code of the first that cannot be used."""
    runs = []
    for run_id in dict.fromkeys(run_ids):
        run = _load(store, run_id)
        if isinstance(run, int):
            return run
        runs.append(run)
    return runs


def compare_runs(args: argparse.Namespace) -> int:
    def action(store: RunStore) -> int:
        runs = _load_all(store, args.run_ids)
        if isinstance(runs, int):
            return runs
        if len(runs) < 2:
            return common.usage_error("runs compare", "argument ID: give at least two different run ids")
        console = common.stdout_console()
        differing = {name for name, _ in config_diff([with_defaults(r.config) for r in runs])}
        rows = config_diff([with_defaults(r.config) for r in runs], only_differing=not args.all)
        for group in _run_groups(runs, rows, console.width):
            settings = Table(title="settings" + ("" if args.all else " that differ (--all shows every one)"))
            settings.add_column("setting", no_wrap=True)
            for i in group:
                settings.add_column(f"run {runs[i].id}", justify="right")
            for name, values in rows:
                style = "bold yellow" if name in differing else ""
                marker = "≠ " if name in differing else "  "
                settings.add_row(safe_text(marker + name, style), *(safe_text(_value(values[i]), style) for i in group))
            if not rows:
                settings.add_row("(identical settings)", *("" for _ in group))
            console.print(settings)
            console.print(_metrics_table(runs, group))
        return common.EXIT_OK

    return _with_store(args, action)


def _run_groups(runs: list[RunRecord], rows: list[tuple[str, list[Any]]], width: int) -> list[list[int]]:
    """Runs split into groups whose tables fit `width` (80 when piped): Rich would squeeze every
    column of a wide table to a few characters; a narrow terminal gets several whole tables instead."""
    label = max([len("test accuracy"), len("best val accuracy"), len("training time (s)"),
                 *(len(name) + 2 for name, _ in rows)])
    widths = [max([len(f"run {r.id}"), 12, *(len(_value(values[i])) for _, values in rows)]) for i, r in enumerate(runs)]
    groups: list[list[int]] = [[]]
    used = 1 + label + 3
    for i, w in enumerate(widths):
        if groups[-1] and used + w + 3 > width:
            groups.append([])
            used = 1 + label + 3
        groups[-1].append(i)
        used += w + 3
    return groups


def _metrics_table(runs: list[RunRecord], shown: list[int] | None = None) -> Table:
    """The final metrics of `runs` (the columns `shown`); the star is decided among all of them."""
    shown = list(range(len(runs))) if shown is None else shown
    summaries = [summarize(r) for r in runs]
    finals = [r.final or {} for r in runs]
    metrics: list[tuple[str, list[float | None], bool, Any]] = [
        # The star is given on validation only: test figures are reported, never used to pick a run.
        ("best val accuracy", [s.best_val for s in summaries], True, common.percent),
        ("test accuracy", [s.test_acc for s in summaries], None, common.percent),
        ("test weights", [s.test_weights for s in summaries], None, str),
        ("test loss", [f.get("test_loss") for f in finals], None, common.number),
        ("epochs done", [s.epochs_done for s in summaries], None, str),
        ("training time (s)", [s.seconds for s in summaries], None, lambda v: f"{v:.1f}"),
    ]
    datasets = [s.dataset for s in summaries]
    mixed = len(set(datasets)) > 1
    table = Table(title=f"final metrics ({BEST_MARK.strip()} = best validation, which picks; test is only reported"
                  + (" among runs of the same dataset; datasets are never ranked against each other)" if mixed else ")"))
    table.add_column("metric", no_wrap=True)
    for i in shown:
        table.add_column(f"run {runs[i].id}", justify="right")
    for name, values, higher, fmt in metrics:
        best = set() if higher is None else best_indices(values, higher_is_better=higher, groups=datasets)
        table.add_row(name, *(
            Text("-" if values[i] is None else fmt(values[i]) + (BEST_MARK if i in best else ""),
                 style="bold green" if i in best else "")
            for i in shown
        ))
    if mixed:
        table.add_row("dataset", *(safe_text(datasets[i]) for i in shown))
    table.add_row("status", *(_status(runs[i].status) for i in shown))
    return table


# -------------------------------------------------------------------- export
def export_format(output: str | None, chosen: str | None) -> str:
    """--format if given, else the output file's extension (.csv, .json), else csv; ValueError names the problem."""
    if chosen or not output:
        return chosen or "csv"
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"argument -o: cannot tell the format from {output!r} (expected a name ending in "
                         f".csv or .json, or --format csv|json)")
    return suffix


def export_run(args: argparse.Namespace) -> int:
    try:
        fmt = export_format(args.output, args.format)
    except ValueError as error:
        return common.usage_error("runs export", str(error))
    target = Path(args.output) if args.output else None
    refused = None if target is None else common.output_target_error("runs export", target, args.force)
    if refused is not None:
        return refused

    def action(store: RunStore) -> int:
        run = _load(store, args.run_id)
        if isinstance(run, int):
            return run
        text = export_text(run, fmt)
        if not args.output:
            # JSON escapes every control character itself; a CSV cell of a damaged row could hold one.
            sys.stdout.write(text if fmt == "json" else plain(text, multiline=True))
            return common.EXIT_OK
        failed = common.write_output_file("runs export", target, text, args.force)
        if failed is not None:
            return failed
        print(plain(f"wrote {len(run.epochs)} epochs of run {run.id} to {target}"), file=sys.stderr)
        return common.EXIT_OK

    return _with_store(args, action)


# -------------------------------------------------------------------- report
def report_runs(args: argparse.Namespace) -> int:
    from runs.report.runs_report import runs_report

    target = Path(args.output)
    refused = common.output_target_error("runs report", target, args.force)
    if refused is not None:
        return refused

    def action(store: RunStore) -> int:
        runs = _load_all(store, args.run_ids)
        if isinstance(runs, int):
            return runs
        text = runs_report(runs, store.models_dir, args.data_dir)
        failed = common.write_output_file("runs report", target, text, args.force)
        if failed is not None:
            return failed
        print(f"wrote the report of run{'s' if len(runs) > 1 else ''} {', '.join(str(r.id) for r in runs)} "
              f"to {target}", file=sys.stderr)
        return common.EXIT_OK

    return _with_store(args, action)


# -------------------------------------------------------------------- delete
def delete_run(args: argparse.Namespace) -> int:
    def action(store: RunStore) -> int:
        run = _load(store, args.run_id, damaged_too=True)
        if isinstance(run, int):
            return run
        s = summarize(run)
        if not args.yes:
            prompt = plain(f"delete run {run.id} ({s.architecture}, {s.status}, test acc {common.percent(s.test_acc)}) "
                           "and its model file? [y/N] ")
            try:
                answer = input(prompt)
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing deleted", file=sys.stderr)
                return common.EXIT_FAILED
        store.delete_run(run.id)
        print(f"deleted run {run.id}", file=sys.stderr)
        return common.EXIT_OK

    return _with_store(args, action)
