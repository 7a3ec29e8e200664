"""`mnist-tui runs continue ID [--epochs N] [--json]`: continue a stopped run in place from its checkpoint.

A cancelled, interrupted (killed) or completed run goes on from its last finished epoch, under its
own id, up to N epochs in total (default: its planned epochs), printing what `train` prints. The
result is bit-identical to a run that never stopped (runs.service.continue_run).
"""

from __future__ import annotations

import argparse

from tui.cli import common


def register(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser("continue", help="continue a cancelled, interrupted or completed run from its last epoch")
    parser.add_argument("run_id", type=common.positive_int, metavar="ID")
    parser.add_argument("--epochs", type=common.positive_int, metavar="N",
                        help="train up to N epochs in total (default: the run's planned epochs)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line, as `train --json`")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    store = common.open_store("runs")
    if isinstance(store, int):
        return store
    from runs.service import CannotContinue, continue_run, plan_continue  # the engine only when training
    from runs.store import UnknownRunError
    from tui.cli.train_cmd import follow

    try:
        _, config, _, _ = plan_continue(store, args.run_id, args.epochs)
    except UnknownRunError:
        store.close()
        return common.usage_error("runs", f"argument ID: unknown run id {args.run_id} (see `mnist-tui runs list`)")
    except CannotContinue as error:
        store.close()
        return common.usage_error("runs", f"continue: {error}")
    return follow(args.json, config, "runs",
                  lambda view, cancel: continue_run(args.run_id, epochs=args.epochs, store=store,
                                                    on_event=view.on_event, cancel=cancel), store)
