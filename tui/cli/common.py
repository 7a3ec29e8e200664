"""Helpers shared by the headless commands: argument types, usage errors, the run store, consoles.

Exit codes: 0 success, 1 the operation failed (data missing, run failed, store damaged),
2 bad input (a flag's value, an unknown run id), 130 interrupted or cancelled by Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from rich.console import Console

from runs.store import RunRecord, RunStore, StoreError, UnknownRunError
from tui.safe_text import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _number(kind: Callable[[str], float], low: float, strict: bool, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {text!r}, expected {what}") from None
        if value != value or value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"got {text!r}, expected {what}")
        return value

    parse.__name__ = what
    return parse


positive_int = _number(int, 1, False, "a whole number >= 1")
non_negative_int = _number(int, 0, False, "a whole number >= 0")
positive_float = _number(float, 0.0, True, "a number > 0")
non_negative_float = _number(float, 0.0, False, "a number >= 0")


def int_list(text: str) -> tuple[int, ...]:
    """`128,64` -> (128, 64); an empty string means no hidden layer."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
        parts = ["x"]
    if len(values) != len(parts) or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"got {text!r}, expected comma-separated whole numbers >= 1, e.g. 128,64")
    return values


def usage_error(command: str, message: str) -> int:
    """Print `mnist-tui <command>: error: message` to stderr and return the usage exit code.

    Messages quote stored and filed strings, so control characters are shown as escapes.
    """
    print(plain(f"mnist-tui {command}: error: {message}", multiline=True), file=sys.stderr)
    return EXIT_USAGE


def failure(command: str, message: str) -> int:
    """Print `mnist-tui <command>: message` to stderr (controls shown as escapes) and return 1."""
    print(plain(f"mnist-tui {command}: {message}", multiline=True), file=sys.stderr)
    return EXIT_FAILED


def open_store(command: str) -> RunStore | int:
    """The user's run store, or an exit code after printing why it cannot be opened."""
    try:
        store = RunStore.open()
    except StoreError as error:
        return failure(command, str(error))
    for run_id in store.recovered:
        print(f"note: run {run_id} was left running by a process that is gone; marked interrupted", file=sys.stderr)
    if store.notice:
        print(f"note: {store.notice}", file=sys.stderr)
    return store


def get_run(store: RunStore, run_id: int, *, damaged_too: bool = False) -> RunRecord | None:
    """The run, or None for an unknown id; a damaged run raises DamagedRunError (a StoreError)
    unless `damaged_too` (deleting is all a damaged run is good for)."""
    try:
        return store.get_run(run_id) if damaged_too else store.usable_run(run_id)
    except UnknownRunError:
        return None


def stdout_console() -> Console:
    return Console(highlight=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
