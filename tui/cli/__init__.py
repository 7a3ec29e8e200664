"""The `mnist-tui` command: the dashboard when called bare, headless subcommands otherwise.

Each subcommand module exposes ``register(subparsers)``; it adds its parser and sets
``handler`` to a function ``(args) -> int`` returning the exit code. Nothing here imports
Textual, so scripts that never open the dashboard start fast. The command modules (and with them
NumPy) are imported inside `main` with stop signals deferred, so a Ctrl-C during start-up is an
interrupt like any other: one line and exit 130, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from tui.cli import signals


def build_parser() -> argparse.ArgumentParser:
    from tui.cli import data_cmd, predict_cmd, runs_cmd, serve_cmd, study_cmd, train_cmd

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
    for module in (data_cmd, train_cmd, study_cmd, runs_cmd, predict_cmd, serve_cmd):
        module.register(sub)
    return parser


EXIT_CLOSED_PIPE = 141
"""128 + SIGPIPE, what other Unix tools report when the reader went away (`... | head`)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command; a reader that closed the pipe (`| head`) ends it quietly, never a traceback."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # inside the try: a late EPIPE surfaces here, not at interpreter exit
    except BrokenPipeError:
        # Nobody reads any more: point stdout at /dev/null so the exit's own flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_CLOSED_PIPE


def _main(argv: list[str] | None) -> int:
    try:
        with signals.deferred():
            parser = build_parser()
        args = parser.parse_args(argv)
        if args.command != "data":  # everything but the data commands uses the home folder
            from tui.cli.common import EXIT_USAGE, home_problem

            problem = home_problem()
            if problem:
                print(f"mnist-tui: error: {problem}", file=sys.stderr)
                return EXIT_USAGE
        if args.command is None:
            from tui.app import run_dashboard  # Textual is imported only here

            return run_dashboard(data_dir=args.dashboard_data_dir)
        signals.install()
        return args.handler(args)
    except KeyboardInterrupt as interrupt:
        signals.ignore()
        print(f"mnist-tui: interrupted ({interrupt or 'SIGINT'})", file=sys.stderr)
        return signals.exit_code(interrupt)


if __name__ == "__main__":
    sys.exit(main())
