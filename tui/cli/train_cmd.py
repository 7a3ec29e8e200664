"""`mnist-tui train`: train one network from flags, recorded in the run store like every dashboard run.

People get a progress bar and a table that grows by one row per epoch; `--json` prints one JSON
object per line instead (each epoch, then a summary with the stored run id). The first Ctrl-C
(or SIGTERM, SIGHUP) stops between batches and records the run `cancelled` with its finished
epochs, exiting 130 (143, 129); a second one aborts at once.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from nn_core.config import (
    ACTIVATIONS, DEFAULT_LEARNING_RATES, INITS, OPTIMIZERS, PRESET_HIDDEN, SCHEDULES, ConfigError, ModelConfig, TrainConfig,
)
from runs.config import DATASETS, NORMALIZATIONS, DataConfig, RunConfig, check_memory
from runs.events import BatchProgress, DataProgress, EpochDone, Event, RunFinished, RunStarted
from tui.cli import common, signals

FLAG_FOR_FIELD = {
    "hidden_sizes": "--hidden-sizes", "activation": "--activation", "init": "--init",
    "optimizer": "--optimizer", "momentum": "--momentum", "learning_rate": "--lr",
    "batch_size": "--batch-size", "epochs": "--epochs", "schedule": "--schedule",
    "decay_rate": "--decay-rate", "l1": "--l1", "l1_lambda": "--l1-lambda", "l2_lambda": "--l2-lambda",
    "seed": "--seed", "dataset": "--dataset", "normalization": "--normalization",
    "val_size": "--val-size", "limit": "--limit", "data_dir": "--data-dir",
    "weight_decay": "--weight-decay", "dropout": "--dropout", "augment_shift": "--augment",
    "augment_rotate": "--augment", "early_stop": "--early-stop",
}
EPOCH_FIELDS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr", "seconds")
EXIT_FOR_STATUS = {"completed": common.EXIT_OK, "cancelled": common.EXIT_INTERRUPTED}


def register(sub: argparse._SubParsersAction) -> None:
    m, t = ModelConfig(), TrainConfig()
    parser = sub.add_parser(
        "train",
        help="train a network from flags and record the run",
        description="Train a fully connected network on MNIST and record it in the run store. "
        "Defaults: " + f"{m.describe()}, {t.optimizer}, lr {t.learning_rate} {t.schedule}, "
        f"batch {t.batch_size}, {t.epochs} epochs.",
    )
    add_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object per line instead of tables")
    parser.set_defaults(handler=run)


def add_options(parser: argparse.ArgumentParser) -> None:
    """Every engine option as a flag (`train` uses them; `study` too, for what stays fixed and varies)."""
    m, t, d = ModelConfig(), TrainConfig(), DataConfig()
    arch = parser.add_argument_group("network")
    widths = arch.add_mutually_exclusive_group()
    widths.add_argument("--hidden-layers", type=int, choices=sorted(PRESET_HIDDEN),
                        help=f"preset depth: {', '.join(f'{k}={list(v)}' for k, v in PRESET_HIDDEN.items())} "
                        f"(default {len(m.hidden_sizes)})")
    widths.add_argument("--hidden-sizes", type=common.int_list, metavar="W1,W2",
                        help="custom hidden widths, e.g. 128,64")
    arch.add_argument("--activation", choices=ACTIVATIONS, default=m.activation, help=f"(default {m.activation})")
    arch.add_argument("--init", choices=INITS, default=m.init, help=f"weight initialization (default {m.init})")

    opt = parser.add_argument_group("training")
    opt.add_argument("--optimizer", choices=OPTIMIZERS, default=t.optimizer, help=f"(default {t.optimizer})")
    opt.add_argument("--momentum", type=common.non_negative_float, default=t.momentum,
                     help=f"momentum coefficient of momentum and nesterov (default {t.momentum})")
    lrs = ", ".join(f"{name} {lr:g}" for name, lr in DEFAULT_LEARNING_RATES.items())
    opt.add_argument("--lr", type=common.positive_float, default=None,
                     help=f"learning rate (default per optimizer: {lrs})")
    opt.add_argument("--weight-decay", type=common.non_negative_float, default=t.weight_decay,
                     help=f"adamw's decoupled weight decay per step (default {t.weight_decay})")
    opt.add_argument("--schedule", choices=SCHEDULES, default=None,
                     help=f"learning-rate schedule (default {t.schedule})")
    opt.add_argument("--lr-decay", action=argparse.BooleanOptionalAction, default=None,
                     help=f"the original's switch: --lr-decay = --schedule decay (x{t.decay_rate} per epoch), "
                     "--no-lr-decay = --schedule constant")
    opt.add_argument("--decay-rate", type=common.positive_float, default=t.decay_rate,
                     help=f"factor per epoch for --schedule decay (default {t.decay_rate})")
    opt.add_argument("--epochs", type=common.positive_int, default=t.epochs, help=f"(default {t.epochs})")
    opt.add_argument("--batch-size", type=common.positive_int, default=t.batch_size, help=f"(default {t.batch_size})")
    opt.add_argument("--l1", action=argparse.BooleanOptionalAction, default=t.l1,
                     help="L1 penalty lambda*sum|W| on the weights (default off)")
    opt.add_argument("--l1-lambda", type=common.non_negative_float, default=t.l1_lambda,
                     help=f"(default {t.l1_lambda})")
    opt.add_argument("--l2-lambda", type=common.non_negative_float, default=t.l2_lambda,
                     help=f"L2 penalty 0.5*lambda*sum W^2 (default {t.l2_lambda})")
    opt.add_argument("--seed", type=common.non_negative_int, default=t.seed, help=f"(default {t.seed})")
    opt.add_argument("--dropout", type=common.rate_list, default=t.dropout, metavar="P[,P2]",
                     help="dropout rate of the hidden units while training, one for every hidden layer or one "
                     "per layer (default none)")
    opt.add_argument("--augment", type=common.augment_spec, default={}, metavar="shift=N,rotate=DEG",
                     help="shift training images by up to N pixels and rotate them by up to DEG degrees, drawn "
                     "afresh each epoch (default none)")
    opt.add_argument("--early-stop", type=common.non_negative_int, default=t.early_stop, metavar="PATIENCE",
                     help="stop when the validation loss has not improved for PATIENCE epochs (default 0: off)")

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default=d.dataset, help=f"(default {d.dataset})")
    data.add_argument("--data-dir", metavar="DIR", help="folder holding the four IDX files")
    data.add_argument("--normalization", choices=NORMALIZATIONS, default=d.normalization,
                      help=f"simple = x/255, normal = z-score (default {d.normalization})")
    data.add_argument("--val-size", type=common.non_negative_int, default=d.val_size,
                      help=f"validation images taken from the training set (default {d.val_size})")
    data.add_argument("--limit", type=common.positive_int, help="train on a random (seeded) subset of N training images; "
                      "the validation and test sets stay whole")


def build_config(args: argparse.Namespace) -> RunConfig:
    """RunConfig from parsed flags; raises ConfigError (mapped to the flag by the caller)."""
    if args.hidden_sizes is not None:
        hidden = args.hidden_sizes
    elif args.hidden_layers is not None:
        hidden = PRESET_HIDDEN[args.hidden_layers]
    else:
        hidden = ModelConfig().hidden_sizes
    schedule = args.schedule
    if args.lr_decay is not None:
        implied = "decay" if args.lr_decay else "constant"
        if schedule is not None and schedule != implied:
            flag = "--lr-decay" if args.lr_decay else "--no-lr-decay"
            raise ConfigError("schedule", schedule, f"{implied} (or no --schedule) together with {flag}")
        schedule = implied
    return RunConfig(
        data=DataConfig(dataset=args.dataset, normalization=args.normalization, val_size=args.val_size,
                        limit=args.limit, data_dir=args.data_dir),
        model=ModelConfig(hidden_sizes=hidden, activation=args.activation, init=args.init),
        train=TrainConfig(
            optimizer=args.optimizer, momentum=args.momentum, learning_rate=args.lr, batch_size=args.batch_size,
            epochs=args.epochs, schedule=schedule or TrainConfig().schedule, decay_rate=args.decay_rate,
            l1=args.l1, l1_lambda=args.l1_lambda, l2_lambda=args.l2_lambda, seed=args.seed,
            weight_decay=args.weight_decay, dropout=args.dropout, augment_shift=args.augment.get("shift", 0),
            augment_rotate=args.augment.get("rotate", 0.0), early_stop=args.early_stop,
        ),
    )


@contextmanager
def stop_signals_cancel(cancel: threading.Event, received: list[int]) -> Iterator[None]:
    """The first SIGINT, SIGTERM or SIGHUP sets `cancel` (a clean stop between batches, the run
    recorded `cancelled` with its finished epochs) and is appended to `received`; a second one
    raises (signals.Terminated, a KeyboardInterrupt) to abort at once."""

    def handler(signum: int, frame: Any) -> None:
        if cancel.is_set():
            raise signals.Terminated(signum)
        received.append(signum)
        cancel.set()
        what = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"{what}: cancelling after the current batch (Ctrl-C again to abort)...", file=sys.stderr, flush=True)

    previous = {signum: signal.signal(signum, handler) for signum in signals.STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args)
        check_memory(config)
    except ConfigError as error:
        flag = FLAG_FOR_FIELD.get(error.field, error.field)
        return common.usage_error("train", f"argument {flag}: got {error.value!r}, expected {error.expected}")
    store = common.open_store("train")
    if isinstance(store, int):
        return store
    from runs.service import execute_run  # the engine is imported only when training

    return follow(args.json, config, "train",
                  lambda view, cancel: execute_run(config, store=store, on_event=view.on_event, cancel=cancel), store)


def follow(as_json: bool, config: RunConfig, command: str, launch: Any, store: Any) -> int:
    """Show a run as `train` does (table or JSON lines, then a summary) while `launch(view, cancel)`
    trains it; stop signals cancel it. Returns the exit code. Shared with `runs continue`."""
    cancel, received = threading.Event(), []
    view = JsonView() if as_json else TableView(config)
    started = time.perf_counter()
    try:
        with store, stop_signals_cancel(cancel, received), view:
            finished = launch(view, cancel)
    except KeyboardInterrupt as interrupt:
        signals.ignore()
        print("aborted", file=sys.stderr)
        return signals.exit_code(interrupt)
    view.summary(finished, time.perf_counter() - started)
    if finished.status != "completed":
        common.failure(command, f"run {finished.status}: {finished.message}")
    if finished.status == "cancelled" and received:
        return 128 + received[0]
    return EXIT_FOR_STATUS.get(finished.status, common.EXIT_FAILED)


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


class JsonView:
    """One JSON object per line on stdout, flushed at once so a reader sees each epoch as it ends."""

    def __init__(self) -> None:
        self.epochs = 0
        self.training_seconds = 0.0

    def __enter__(self) -> "JsonView":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def on_event(self, event: Event) -> None:
        if isinstance(event, EpochDone):
            self.epochs += 1
            self.training_seconds += event.record.get("seconds") or 0.0
            _print_json({"event": "epoch", **{k: event.record.get(k) for k in EPOCH_FIELDS}})

    def summary(self, finished: RunFinished, seconds: float) -> None:
        line = {
            "event": "summary",
            "run_id": finished.run_id,
            "status": finished.status,
            "test_acc": finished.final.get("test_acc"),
            "weights": finished.final.get("weights"),
            "epochs": self.epochs,
            "seconds": round(seconds, 3),  # wall time of the command: data loading and the final test too
            "training_seconds": round(self.training_seconds, 3),  # the epochs alone, as `runs list` shows
        }
        if finished.message:
            line["message"] = finished.message
        _print_json(line)


def _print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


class TableView:
    """A progress bar (data, then batches of each epoch) under a table gaining one row per epoch."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.console = common.stdout_console()
        self.table = Table(title=f"{config.model.describe()} · {config.train.optimizer} · "
                           f"lr {config.train.learning_rate} {config.train.schedule} · batch {config.train.batch_size}")
        for name in ("epoch", "train loss", "train acc", "val loss", "val acc", "test loss", "test acc", "lr", "s"):
            self.table.add_column(name, justify="right")
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(), console=self.console,
        )
        self.task = self.progress.add_task("loading data", total=None, rate="")
        self.live = Live(Group(self.table, self.progress), console=self.console, refresh_per_second=8)
        self.run_id: int | None = None
        self.trained = 0
        self.training_seconds = 0.0

    def _epochs_line(self, total: int) -> str:
        """Epochs trained by this command; a continued run also says its total."""
        return _epochs(self.trained) + ("" if total in (self.trained, 0) else f" ({total} in total)")

    def __enter__(self) -> "TableView":
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)
        if not self.console.is_terminal:
            self.console.line()  # rich ends the line itself only on a terminal

    def on_event(self, event: Event) -> None:
        if isinstance(event, DataProgress):
            self.progress.update(self.task, description=event.stage, completed=event.done, total=event.total)
        elif isinstance(event, RunStarted):
            self.run_id = event.run_id
            self.table.caption = (f"run {event.run_id} · {event.dataset.get('name')} "
                                  f"{event.train_size}/{event.val_size}/{event.test_size} train/val/test")
        elif isinstance(event, BatchProgress):
            self.progress.update(
                self.task, description=f"epoch {event.epoch}/{self.config.train.epochs}",
                completed=event.batch, total=event.batches, rate="… img/s" if event.samples_per_second is None else f"{event.samples_per_second:,.0f} img/s",
            )
        elif isinstance(event, EpochDone):
            self.trained += 1
            r = event.record
            self.training_seconds += r.get("seconds") or 0.0
            self.table.add_row(
                str(r["epoch"]), common.number(r.get("train_loss")), common.percent(r.get("train_acc")),
                common.number(r.get("val_loss")), common.percent(r.get("val_acc")),
                common.number(r.get("test_loss")), common.percent(r.get("test_acc")),
                f"{r['lr']:.4g}", f"{r['seconds']:.1f}",
            )
        elif isinstance(event, RunFinished):
            # A run that failed before its first epoch leaves no table behind, only its message.
            self.live.update(self.table if self.table.row_count else "", refresh=True)

    def summary(self, finished: RunFinished, seconds: float) -> None:
        if finished.run_id is None:
            return
        acc = finished.final.get("test_acc")
        weights = finished.final.get("weights")
        which = ("" if weights is None else f" (best-validation weights, epoch {finished.final.get('best_epoch')})"
                 if weights == "best" else " (last epoch's weights)")
        self.console.print(
            f"run {finished.run_id} [bold]{finished.status}[/] · test accuracy {common.percent(acc)}{which} · "
            f"{self._epochs_line(finished.final.get('epochs', 0))} · training {self.training_seconds:.1f} s "
            f"({seconds:.1f} s in all, with loading the data) · "
            f"see `mnist-tui runs show {finished.run_id}`"
        )
        if finished.status == "completed" and finished.message:
            self.console.print(finished.message, markup=False)
