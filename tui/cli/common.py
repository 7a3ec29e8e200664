"""Helpers shared by the headless commands: argument types, usage errors, the run store, consoles.

Exit codes: 0 success, 1 the operation failed (data missing, run failed, store damaged),
2 bad input (a flag's value, an unknown run id), 130 interrupted or cancelled by Ctrl-C.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import Callable

from rich.console import Console

from runs.paths import DATABASE_NAME, MODELS_FOLDER, home_dir
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


def rate_list(text: str) -> tuple[float, ...]:
    """`0.2` or `0.2,0.1` -> rates in [0, 1), e.g. dropout per hidden layer."""
    try:
        values = tuple(float(p) for p in text.split(","))
    except ValueError:
        values = (-1.0,)
    if not values or any(not 0 <= v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a rate in [0, 1) or one per hidden layer, e.g. 0.2 or 0.3,0.2")
    return values


AUGMENT_KEYS = {"shift": int, "rotate": float}


def augment_spec(text: str) -> dict[str, float]:
    """`shift=2,rotate=10` -> {'shift': 2, 'rotate': 10.0}; `none` -> {}."""
    if text.strip() == "none":
        return {}
    out: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        try:
            if not sep or key not in AUGMENT_KEYS or key in out:
                raise ValueError
            out[key] = AUGMENT_KEYS[key](value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"got {text!r}, expected shift=PIXELS and/or rotate=DEGREES, e.g. shift=2,rotate=10 (or none)") from None
    return out


def home_problem() -> str | None:
    """Why the home folder's path cannot hold the store and its models (too long for the OS), or None.

    Checked before anything opens the store, so an absurd $MNIST_TUI_HOME is one clear line, not
    an ENAMETOOLONG traceback from deep inside SQLite or pathlib.
    """
    home = home_dir()
    variable = next((v for v in ("MNIST_TUI_HOME", "XDG_DATA_HOME") if os.environ.get(v)), "the home folder")
    # The longest paths the store makes: the database's -journal/-wal files and model temporaries.
    for path in (home / (DATABASE_NAME + "-journal"), home / MODELS_FOLDER / ".9999999999.npz.xxxxxxxx.tmp"):
        try:
            os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as error:
            if error.errno != errno.ENAMETOOLONG:
                continue  # permissions and the like are the store's to report
            shown = str(home) if len(str(home)) <= 80 else str(home)[:60] + f"... ({len(str(home))} characters)"
            longest = max((len(part) for part in home.parts), default=0)
            return (f"{variable}: the path {shown} is too long for this system (longest name in it: {longest} "
                    f"characters; expected at most {_limit('PC_NAME_MAX', 255)} per name and "
                    f"{_limit('PC_PATH_MAX', 4096)} in all)")
        except ValueError as error:
            return f"{variable}: {error}"
    return None


def _limit(name: str, default: int) -> int:
    try:
        return os.pathconf("/", name)
    except (OSError, ValueError):
        return default


def usage_error(command: str, message: str) -> int:
    """Print `mnist-tui <command>: error: message` to stderr and return the usage exit code.

    Messages quote stored and filed strings, so control characters are shown as escapes.
    """
    print(plain(f"mnist-tui {command}: error: {message}", multiline=True), file=sys.stderr)
    return EXIT_USAGE


def output_target_error(command: str, target: "os.PathLike[str]", force: bool) -> int | None:
    """Refuse `-o FILE` before any work: a folder, or an existing file without --force (exit 2)."""
    from pathlib import Path

    target = Path(target)
    if target.is_dir():
        return usage_error(command, f"argument -o: {target} is a folder; give a file name")
    if target.exists() and not force:
        return usage_error(command, f"argument -o: {target} already exists; use --force to replace it")
    return None


def write_output_file(command: str, target: "os.PathLike[str]", text: str, force: bool) -> int | None:
    """Write `text` to `-o FILE` atomically; the exit code of a refusal (2) or failure (1), None when written."""
    from runs.output_file import OutputExistsError, write_output

    try:
        write_output(target, text, force=force)
    except OutputExistsError as error:
        return usage_error(command, f"argument -o: {error}")
    except OSError as error:
        return failure(command, f"cannot write {target}: {error.strerror or error}")
    return None


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


class _Console(Console):
    """Rich's console, but a closed pipe is left to `tui.cli.main` (one exit code, 141, for every command)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def stdout_console() -> Console:
    return _Console(highlight=False)


def stderr_console() -> Console:
    return _Console(stderr=True, highlight=False)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
