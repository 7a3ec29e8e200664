"""A catalogue of damaged run stores, and a way to run `mnist-tui` commands on them in this process.

Each damage is a function of a home folder holding a healthy store (runs 1 and 2 completed, with
model files). Row damage spoils run 1 only, so run 2 must stay usable; store damage (a missing
column, a newer version, a CHECK violation, an odd file) must be refused with every file left
byte-identical. Pending write-ahead logs are made by a child that dies without closing, as a
killed writer leaves them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from runs import schema
from tui.cli import main

COMMAND_SECONDS = 20
"""A command taking longer than this counts as a hang."""


class Hang(BaseException):
    """Raised by the alarm in a command that waits too long (not an OSError, which code may catch)."""


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    crash: str | None
    """The traceback of an exception that escaped the command, or 'hang'."""


def run_command(home: Path, *argv: str) -> Outcome:
    """`mnist-tui argv` in this process with MNIST_TUI_HOME=home; exceptions and hangs are caught."""
    out, err = io.StringIO(), io.StringIO()
    old_home = os.environ.get("MNIST_TUI_HOME")
    os.environ["MNIST_TUI_HOME"] = str(home)

    def hang(signum, frame):
        raise Hang()

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(COMMAND_SECONDS)
    code, crash = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    except Hang:
        crash = "hang"
    except BaseException:  # noqa: BLE001 - what the user would see as a traceback
        crash = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if old_home is None:
            del os.environ["MNIST_TUI_HOME"]
        else:
            os.environ["MNIST_TUI_HOME"] = old_home
    if crash is None and "Traceback (most recent call last)" in err.getvalue():
        crash = err.getvalue()
    return Outcome(code, out.getvalue(), err.getvalue(), crash)


def digests(folder: Path) -> dict[str, str]:
    """Every entry under `folder` with a digest of its bytes (or its kind for non-files)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel] = "dir" if path.is_dir() else "special"
    return found


def _sql(*statements: str, ignore_checks: bool = False) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        conn = sqlite3.connect(home / "runs.sqlite3", isolation_level=None)
        if ignore_checks:
            conn.execute("PRAGMA ignore_check_constraints = ON")
        for statement in statements:
            conn.execute(statement)
        conn.close()

    return damage


def _pending(*statements: str, ignore_checks: bool = False) -> Callable[[Path], None]:
    """Run the statements in a child that dies before checkpointing: they live only in -wal."""
    script = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        + ("conn.execute('PRAGMA ignore_check_constraints = ON')\n" if ignore_checks else "")
        + "".join(f"conn.execute({s!r})\n" for s in statements)
        + "os._exit(0)\n"
    )

    def damage(home: Path) -> None:
        subprocess.run([sys.executable, "-c", script, str(home / "runs.sqlite3")], check=True)
        assert (home / "runs.sqlite3-wal").stat().st_size > 0

    return damage


def _drop_column(table: str, column: str) -> list[str]:
    """Statements rebuilding `table` without `column` (ALTER TABLE DROP COLUMN refuses keyed ones)."""
    conn = sqlite3.connect(":memory:")
    schema.create(conn)
    kept = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != column]
    conn.close()
    names = ", ".join(kept)
    return [
        "PRAGMA foreign_keys = OFF",
        "PRAGMA legacy_alter_table = ON",  # the rename must not re-check triggers (schema v4) naming the table
        f"CREATE TABLE {table}_copy AS SELECT {names} FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_copy RENAME TO {table}",
    ]


def _file(kind: str) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        path = home / "runs.sqlite3"
        if kind == "fifo":
            path.unlink()
            os.mkfifo(path)
        elif kind == "wal fifo":
            os.mkfifo(home / "runs.sqlite3-wal")
        elif kind == "directory":
            path.unlink()
            path.mkdir()
        elif kind == "truncated":
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        elif kind == "garbage":
            path.write_bytes(b"not a database, my notes\n" * 300)
        elif kind == "foreign":
            path.unlink()
            conn = sqlite3.connect(path)
            conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
            conn.commit()
            conn.close()

    return damage


def _model_link(home: Path) -> None:
    """models/1.npz becomes a link to a file outside the home (which must be neither read nor deleted)."""
    victim = home.parent / "outside.npz"
    victim.write_bytes((home / "models" / "1.npz").read_bytes())
    (home / "models" / "1.npz").unlink()
    (home / "models" / "1.npz").symlink_to(victim)


def _set(column: str, value: str, table: str = "runs") -> Callable[[Path], None]:
    where = "id = 1" if table == "runs" else "run_id = 1 AND epoch = 1"
    return _sql(f"UPDATE {table} SET {column} = {value} WHERE {where}")


def _config(**sections: dict) -> str:
    return "'" + json.dumps(sections).replace("'", "''") + "'"


NESTED = "'" + "[" * 100_000 + "]" * 100_000 + "'"

ROW_DAMAGE: dict[str, Callable[[Path], None]] = {
    **{f"config {label}": _set("config", value) for label, value in {
        "broken json": "'{\"data\": '", "array": "'[1, 2]'", "number": "5", "string": "'\"x\"'", "null json": "'null'",
        "blob": "x'00ff'", "deeply nested": NESTED, "section array": _config(data=[]),
        "hidden text": _config(model={"hidden_sizes": "abc"}), "hidden zero": _config(model={"hidden_sizes": [0]}),
        "hidden number": _config(model={"hidden_sizes": 64}), "lr text": _config(train={"learning_rate": "fast"}),
        "epochs negative": _config(train={"epochs": -1}), "unknown dataset": _config(data={"dataset": "cifar"}),
        "data_dir number": _config(data={"data_dir": 5}), "unknown section": "'{\"bogus\": 1}'",
        "seed infinite": "'{\"train\": {\"seed\": 1e400}}'", "momentum 1": _config(train={"momentum": 1.0}),
        "limit too big": _config(data={"limit": 10**9}),
        "hidden layer huge": _config(model={"hidden_sizes": [10**12]}), "bool batch": _config(train={"batch_size": True}),
        "5 MB of text": "'\"' || hex(zeroblob(2500000)) || '\"'",
    }.items()},
    **{f"dataset {label}": _set("dataset", value) for label, value in {
        "broken json": "'{'", "array": "'[]'", "source array": "'{\"source\": []}'",
        "checksum number": "'{\"checksums\": {\"a\": 1}}'", "name number": "'{\"name\": 5}'",
        "size text": "'{\"train_size\": \"many\"}'", "deeply nested": NESTED,
    }.items()},
    **{f"final {label}": _set("final", value) for label, value in {
        "broken json": "'{'", "array": "'[0.9]'", "acc text": "'{\"test_acc\": \"high\"}'",
        "acc 7": "'{\"test_acc\": 7}'", "precision text": "'{\"precision\": \"x\"}'",
        "huge int": "'{\"test_loss\": 1" + "0" * 400 + "}'", "epochs text": "'{\"epochs\": \"x\"}'",
        "acc NaN": "'{\"test_acc\": NaN}'",
    }.items()},
    **{f"confusion {label}": _set("confusion", value) for label, value in {
        "broken json": "'[['", "object": "'{}'", "2x2": "'[[1, 2], [3, 4]]'", "true": "'true'",
        "negative": "'" + json.dumps([[-1] * 10] * 10) + "'", "text cells": "'" + json.dumps([["a"] * 10] * 10) + "'",
    }.items()},
    **{f"epoch {label}": _set(column, value, "epochs") for label, (column, value) in {
        "extra broken": ("extra", "'{'"), "extra array": ("extra", "'[]'"), "extra number": ("extra", "5"),
        "loss text": ("train_loss", "'abc'"), "acc 5": ("val_acc", "5.0"), "acc blob": ("val_acc", "x'00'"),
        "acc infinite": ("test_acc", "1e999"), "number text": ("epoch", "'x'"), "number negative": ("epoch", "-3"),
    }.items()},
    **{f"column {label}": _set(column, value) for label, (column, value) in {
        "seed text": ("seed", "'abc'"), "seed real": ("seed", "1.5"), "seed blob": ("seed", "x'00'"),
        "pid text": ("pid", "'abc'"), "pid negative": ("pid", "-5"), "owner_started blob": ("owner_started", "x'01'"),
        "started_at blob": ("started_at", "x'01'"), "ended_at number": ("ended_at", "x'02'"),
        "message blob": ("message", "x'1b5b'"),
    }.items()},
    **{f"model_path {label}": _set("model_path", value) for label, value in {
        "absolute elsewhere": "'/nonexistent/passwd'", "climbing": "'../../../outside.npz'", "other run": "'2.npz'",
        "models dotdot": "'models/../../outside.npz'", "number": "5", "blob": "x'00'",
    }.items()},
    "model file links outside": _model_link,
    # SQLite's quick_check does not look at CHECK constraints: a bad status is found row by row.
    "status bogus": _sql("UPDATE runs SET status = 'bogus' WHERE id = 1", ignore_checks=True),
    "status bogus in a pending log": _pending("UPDATE runs SET status = 'bogus' WHERE id = 1", ignore_checks=True),
}
"""Damage to run 1's rows: run 1 must be reported damaged, run 2 must stay usable."""

HARMLESS: dict[str, Callable[[Path], None]] = {
    "seed huge but whole": _set("seed", "9223372036854775807"),
    "legacy absolute model path": lambda home: _set("model_path", f"'{home / 'models' / '1.npz'}'")(home),
    "loss infinite": _set("train_loss", "1e999", "epochs"),
}
"""Odd but valid values: nothing is damaged."""

STORE_DAMAGE: dict[str, Callable[[Path], None]] = {
    **{f"missing {t}.{c}": _sql(*_drop_column(t, c)) for t, c in (
        ("runs", "message"), ("runs", "config"), ("runs", "model_path"), ("epochs", "extra"), ("epochs", "val_acc"),
    )},
    "missing column in a pending log": _pending(*_drop_column("runs", "message")),
    "newer version in a pending log": _pending("PRAGMA user_version = 99"),
    "newer version": _sql("PRAGMA user_version = 99"),
    **{f"file {kind}": _file(kind) for kind in ("fifo", "wal fifo", "directory", "truncated", "garbage", "foreign")},
}
"""Damage to the store as a whole: every command refuses it and every file stays byte-identical."""
