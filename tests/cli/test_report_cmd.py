"""`mnist-tui runs report`: exit codes, and a file that exists is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import cli
from nn_core.config import TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("report-cmd-home")
    with RunStore.open(home) as store:
        for epochs in (1, 2):
            execute_run(RunConfig(data=DataConfig(limit=1000, val_size=500), train=TrainConfig(epochs=epochs)),
                        store=store)
    return home


def test_report_writes_one_page(home, tmp_path):
    target = tmp_path / "r.html"
    result = cli(home, "runs", "report", "1", "2", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "runs 1, 2" in result.stderr
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 7


def test_report_never_overwrites_without_force(home, tmp_path):
    target = tmp_path / "r.html"
    target.write_bytes(b"precious")
    result = cli(home, "runs", "report", "1", "-o", str(target))
    assert result.returncode == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == b"precious"
    result = cli(home, "runs", "report", "1", "-o", str(target), "--force")
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("args", "code", "message"), [
    (("7",), 2, "unknown run id 7"),
    (("1", "-o", "{tmp}"), 2, "is a folder"),
    (("1", "-o", "{tmp}/missing/r.html"), 1, "cannot write"),
    (("x", "-o", "{tmp}/r.html"), 2, "expected a whole number"),
])
def test_report_errors_are_clear(home, tmp_path, args, code, message):
    args = tuple(a.format(tmp=tmp_path) for a in args)
    if "-o" not in args:
        args += ("-o", str(tmp_path / "r.html"))
    result = cli(home, "runs", "report", *args)
    assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr


def test_data_dir_gives_the_mistakes_when_no_usual_source_has_the_data(home, tmp_path):
    import os
    import subprocess
    import sys

    mnist = Path(os.environ["MNIST_TUI_DATA"]) / "mnist"
    env = {**os.environ, "MNIST_TUI_HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    env.pop("MNIST_TUI_DATA")

    def report(name: str, *extra: str) -> str:
        target = tmp_path / name
        result = subprocess.run([sys.executable, "-m", "tui", "runs", "report", "1", "-o", str(target), *extra],
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return target.read_text(encoding="utf-8")

    without = report("without.html")
    assert "Not shown: the test images are not available" in without and without.count("<svg") == 2
    with_dir = report("with.html", "--data-dir", str(mnist))
    assert "Not shown" not in with_dir and with_dir.count("<svg") == 3


def test_a_damaged_run_is_refused_and_nothing_written(home, tmp_path):
    import json
    import shutil
    import sqlite3

    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    with sqlite3.connect(copy / "runs.sqlite3") as db:
        db.execute("UPDATE runs SET confusion = ? WHERE id = 2", (json.dumps([["x"]]),))
    target = tmp_path / "r.html"
    result = cli(copy, "runs", "report", "1", "2", "-o", str(target))
    assert result.returncode == 1 and "run 2 is damaged" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()
