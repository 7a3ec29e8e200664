"""The `mnist-tui` command: the dashboard when called bare, headless subcommands otherwise.

Each subcommand module exposes ``register(subparsers)``; it adds its parser and sets
``handler`` to a function ``(args) -> int`` returning the exit code. Nothing here imports
Textual, so scripts that never open the dashboard start fast.
"""

from __future__ import annotations

import argparse
import sys

from tui.cli import data_cmd, predict_cmd, runs_cmd, serve_cmd, study_cmd, train_cmd

COMMAND_MODULES = (data_cmd, train_cmd, study_cmd, runs_cmd, predict_cmd, serve_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mnist-tui",
        description="Design, train and compare small neural networks on MNIST.",
    )
    parser.add_argument(
        "--data-dir",
        dest="dashboard_data_dir",
        metavar="DIR",
        help="dashboard: folder holding the four IDX files (overrides every other source)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tui.app import run_dashboard  # Textual is imported only here

        return run_dashboard(data_dir=args.dashboard_data_dir)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
