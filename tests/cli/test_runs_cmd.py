"""`mnist-tui runs list|show|compare|export|delete` and `predict` in subprocesses, on runs trained for real."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cli_helpers import cli
from nn_core.config import ModelConfig, TrainConfig
from runs.config import DataConfig, RunConfig
from runs.service import execute_run
from runs.store import RunStore


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Three real runs: two that differ in depth and optimizer, and one that diverged."""
    home = tmp_path_factory.mktemp("runs-home")
    configs = [
        RunConfig(data=DataConfig(limit=1500, val_size=500), train=TrainConfig(epochs=2)),
        RunConfig(data=DataConfig(limit=1500, val_size=500), model=ModelConfig(hidden_sizes=(64, 64)),
                  train=TrainConfig(epochs=2, optimizer="sgd", learning_rate=0.1)),
        RunConfig(data=DataConfig(limit=500, val_size=0), train=TrainConfig(epochs=1, learning_rate=1e30)),
    ]
    with RunStore.open(home) as store:
        statuses = [execute_run(c, store=store).status for c in configs]
    assert statuses == ["completed", "completed", "diverged"]
    return home


def _ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_list_shows_every_run(home):
    out = _ok(cli(home, "runs", "list"))
    for text in ("784-64-10 relu", "784-64-64-10 relu", "completed", "diverged", "2/2"):
        assert text in out
    listed = json.loads(_ok(cli(home, "runs", "list", "--json")))
    assert [r["id"] for r in listed] == [3, 2, 1]  # newest first
    assert [r["status"] for r in listed] == ["diverged", "completed", "completed"]
    assert listed[2]["epochs_done"] == 2 and 0.5 < listed[2]["test_acc"] <= 1
    assert listed[1]["config"]["train"]["optimizer"] == "sgd"
    lines = _ok(cli(home, "runs", "list", "--jsonl")).splitlines()
    assert [json.loads(line) for line in lines] == listed


def test_list_pages_newest_first(home):
    page = json.loads(_ok(cli(home, "runs", "list", "--json", "--limit", "2")))
    assert [r["id"] for r in page] == [3, 2]
    rest = [json.loads(line) for line in _ok(cli(home, "runs", "list", "--jsonl", "--offset", "2")).splitlines()]
    assert [r["id"] for r in rest] == [1]
    out = _ok(cli(home, "runs", "list", "--limit", "1", "--offset", "1"))
    assert "784-64-64-10 relu" in out and "runs 2–2 of 3" in out and "--offset 2" in out
    bad = cli(home, "runs", "list", "--limit", "-1")
    assert bad.returncode == 2 and "--limit" in bad.stderr and "Traceback" not in bad.stderr


def test_list_of_an_empty_store(tmp_path):
    assert "no runs recorded yet" in _ok(cli(tmp_path, "runs", "list"))
    assert json.loads(_ok(cli(tmp_path, "runs", "list", "--json"))) == []


def test_show_prints_config_epochs_and_confusion(home):
    out = _ok(cli(home, "runs", "show", "1"))
    assert "run 1" in out and "model.hidden_sizes" in out and "confusion matrix" in out and "precision" in out
    assert "sha256 " in out and "train-images-idx3-ubyte.gz" in out
    shown = json.loads(_ok(cli(home, "runs", "show", "2", "--json")))
    with RunStore.open(home) as store:
        run = store.get_run(2)
    assert shown["epochs"] == run.epochs and shown["confusion"] == run.confusion and shown["id"] == 2
    assert "lower learning rate" in _ok(cli(home, "runs", "show", "3"))


def test_compare_highlights_differences_and_marks_the_best(home):
    out = _ok(cli(home, "runs", "compare", "1", "2"))
    assert "≠ model.hidden_sizes" in out and "≠ train.optimizer" in out and "≠ train.learning_rate" in out
    assert "train.epochs" not in out  # equal settings are hidden by default
    with RunStore.open(home) as store:
        vals = [store.get_run(i).best_epoch["val_acc"] for i in (1, 2)]
    best_line = next(line for line in out.splitlines() if "best val accuracy" in line)
    best_value = f"{100 * max(vals):.2f}% ★"
    assert best_value in best_line and best_line.count("★") == 1
    test_line = next(line for line in out.splitlines() if "test accuracy" in line)
    assert "★" not in test_line  # test is reported, never used to pick
    everything = _ok(cli(home, "runs", "compare", "1", "2", "3", "--all"))
    assert "train.epochs" in everything and "diverged" in everything


def test_export_csv_and_json(home, tmp_path):
    text = _ok(cli(home, "runs", "export", "1", "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(text)))
    with RunStore.open(home) as store:
        run = store.get_run(1)
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert [float(r["val_acc"]) for r in rows] == [e["val_acc"] for e in run.epochs]
    assert list(rows[0]) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc",
                             "lr", "seconds"]
    target = tmp_path / "run1.json"
    target.write_text("old contents")
    result = cli(home, "runs", "export", "1", "--format", "json", "-o", str(target), "--force")
    assert result.returncode == 0 and "wrote 2 epochs" in result.stderr
    assert json.loads(target.read_text())["epochs"] == run.epochs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run1.json"]  # no temporary file left


def test_export_format_follows_the_extension_and_an_existing_file_needs_force(home, tmp_path):
    target = tmp_path / "x.json"
    _ok(cli(home, "runs", "export", "1", "-o", str(target)))
    assert len(json.loads(target.read_text())["epochs"]) == 2  # JSON, because the name says so
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()  # an ordinary file of the user's, not 0600
    before = target.read_bytes()
    again = cli(home, "runs", "export", "1", "-o", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert target.read_bytes() == before
    forced_csv = cli(home, "runs", "export", "1", "-o", str(target), "--format", "csv", "--force")
    assert forced_csv.returncode == 0 and target.read_text().startswith("epoch,")  # --format wins
    unknown = cli(home, "runs", "export", "1", "-o", str(tmp_path / "x.txt"))
    assert unknown.returncode == 2 and "x.txt" in unknown.stderr and ".csv or .json" in unknown.stderr
    assert not (tmp_path / "x.txt").exists()


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_export_to_an_impossible_path_fails_cleanly(home, tmp_path):
    result = cli(home, "runs", "export", "1", "-o", str(tmp_path / "missing" / "x.csv"))
    assert result.returncode == 1 and "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_predict_draws_digits_with_labels(home):
    import subprocess

    from cli_helpers import COMMAND, env_for

    coloured = subprocess.run([*COMMAND, "predict", "--run", "1", "--index", "10", "--count", "3"],
                              env={**env_for(home), "FORCE_COLOR": "1"}, capture_output=True, text=True)
    out = _ok(coloured)
    assert "run 1" in out and "accuracy" in out
    assert "#10 " in out and "#11 " in out and "#12 " in out and "#13 " not in out
    assert out.count("\u2580") == 3 * 28 * 14  # three 28x28 digits in half blocks


def test_predict_into_a_file_draws_digits_with_a_character_ramp(home):
    """Without colour (a pipe, a file) grey half blocks are all alike: the digits would vanish."""
    out = _ok(cli(home, "predict", "--run", "1", "--index", "10", "--count", "3"))
    assert "\u2580" not in out and "\x1b" not in out
    drawing = out.splitlines()[1:15]
    assert len(drawing) == 14
    assert sum(line.count("@") + line.count("%") + line.count("#") for line in drawing) > 3 * 20  # strokes
    assert sum(line.count(" ") for line in drawing) > 3 * 28 * 14 // 2  # on a blank background
    wrong = _ok(cli(home, "predict", "--run", "2", "--wrong", "--count", "4"))
    assert wrong.count("✗") == 4 and "✓" not in wrong


def test_predict_refuses_a_run_without_a_model(home):
    result = cli(home, "predict", "--run", "3")
    assert result.returncode == 1 and "run 3 has no saved model (status diverged)" in result.stderr


UNKNOWN = [
    (["runs", "show", "42"], "unknown run id 42"),
    (["runs", "compare", "1", "42"], "unknown run id 42"),
    (["runs", "export", "42"], "unknown run id 42"),
    (["runs", "delete", "42", "--yes"], "unknown run id 42"),
    (["predict", "--run", "42"], "--run: unknown run id 42"),
    (["runs", "show", "abc"], "ID: got 'abc'"),
    (["runs", "compare", "1"], "at least two"),
    (["runs", "export", "1", "--format", "xml"], "--format"),
    (["predict", "--run", "1", "--index", "10000"], "--index: got 10000, expected 0 to 9999"),
    (["predict", "--run", "1", "--index", "-1"], "--index: got '-1'"),
    (["predict", "--run", "1", "--index", "1", "--wrong"], "not allowed"),
    (["predict"], "--run"),
]


@pytest.mark.parametrize("args, message", UNKNOWN, ids=[" ".join(a) for a, _ in UNKNOWN])
def test_bad_ids_and_values_exit_2_naming_them(home, args, message):
    result = cli(home, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_delete_asks_and_removes_run_and_model(tmp_path):
    with RunStore.open(tmp_path) as store:
        finished = execute_run(RunConfig(data=DataConfig(limit=300, val_size=0), train=TrainConfig(epochs=1)),
                               store=store)
        model = store.get_run(finished.run_id).model_path
    refused = cli(tmp_path, "runs", "delete", "1", input="n\n")
    assert refused.returncode == 1 and "delete run 1" in refused.stdout and "nothing deleted" in refused.stderr
    assert cli(tmp_path, "runs", "delete", "1", input="").returncode == 1  # no answer is no
    assert (tmp_path / "models" / "1.npz").is_file() and model.endswith("1.npz")
    assert _ok(cli(tmp_path, "runs", "delete", "1", input="y\n")) .startswith("delete run 1")
    assert not (tmp_path / "models" / "1.npz").exists()
    assert json.loads(_ok(cli(tmp_path, "runs", "list", "--json"))) == []


def test_delete_with_yes_does_not_ask(tmp_path):
    with RunStore.open(tmp_path) as store:
        execute_run(RunConfig(data=DataConfig(limit=300, val_size=0), train=TrainConfig(epochs=1)), store=store)
    result = cli(tmp_path, "runs", "delete", "1", "--yes")
    assert result.returncode == 0 and result.stdout == "" and "deleted run 1" in result.stderr


def test_vacuum_gives_deleted_runs_space_back(tmp_path):
    with RunStore.open(tmp_path) as store:
        ids = [store.create_run(RunConfig(), {"note": "x" * 20_000}) for _ in range(20)]
        for run_id in ids:
            store.finish_run(run_id, "completed")
            store.delete_run(run_id)
    before = (tmp_path / "runs.sqlite3").stat().st_size
    result = cli(tmp_path, "runs", "vacuum")
    assert result.returncode == 0 and "MB ->" in result.stdout
    assert (tmp_path / "runs.sqlite3").stat().st_size < before / 2


def test_predict_names_fashion_classes(tmp_path):
    config = RunConfig(data=DataConfig(dataset="fashion-mnist", limit=500, val_size=0), train=TrainConfig(epochs=1))
    with RunStore.open(tmp_path) as store:
        assert execute_run(config, store=store).status == "completed"
    out = _ok(cli(tmp_path, "predict", "--run", "1", "--count", "2"))
    assert "fashion-mnist test set" in out and "true 9" in out and "/Ankle boot" in out  # test image 0 is a boot


def test_list_at_80_columns_keeps_ids_and_networks_whole(home):
    """Piped output is 80 columns wide: less important columns go, none is squeezed to nothing."""
    import subprocess

    from cli_helpers import COMMAND, env_for

    result = subprocess.run([*COMMAND, "runs", "list"], env={**env_for(home), "COLUMNS": "80"},
                            capture_output=True, text=True)
    out = _ok(result)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = next(line for line in lines if "┃" in line)
    assert "┃ id ┃" in header and "network" in header and "test acc" in header and "status" in header
    assert "784-64-64-10 relu" in out and "784-64-10 relu" in out  # whole, not cut to "784-…"
    assert [line.split("│")[1].strip() for line in lines if line.startswith("│")] == ["3", "2", "1"]
    assert "left out at 80 columns: started (UTC)" in out


def test_compare_in_a_narrow_terminal_prints_whole_tables_in_groups(home):
    """Rich squeezed every column of a wide comparison to a few characters; a narrow terminal now
    gets several tables, each with whole values, and the star is still decided among all runs."""
    import subprocess

    from cli_helpers import COMMAND, env_for

    result = subprocess.run([*COMMAND, "runs", "compare", "1", "2", "3"], env={**env_for(home), "COLUMNS": "50"},
                            capture_output=True, text=True)
    out = _ok(result)
    assert all(len(line) <= 50 for line in out.splitlines())
    headers = [line for line in out.splitlines() if line.startswith("┃ setting")]
    assert len(headers) >= 2  # more than one group
    for run_id in (1, 2, 3):
        assert f"run {run_id}" in out
    assert "momentum" in out and "…" not in out  # values whole, not cut
    starred = [line for line in out.splitlines() if line.startswith("│") and "★" in line]
    assert len(starred) == 1 and starred[0].count("★") == 1  # one best validation among all three runs
