"""`mnist-tui study` as a user runs it: a real small study, bad input, and resume after SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import sqlite3
import time

import pytest

from cli_helpers import COMMAND, cli, env_for, json_lines, start

SMALL = ("--limit", "500", "--epochs", "2", "--hidden-sizes", "8")


def test_a_small_study_runs_end_to_end_and_its_runs_are_in_the_history(tmp_path):
    home = tmp_path / "home"
    result = cli(home, "study", "run", *SMALL, "--vary", "optimizer=sgd,momentum", "--seeds", "2", "--json")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    header, summary = lines[0], lines[-1]
    assert header["event"] == "study" and header["trials"] == 4 and header["estimated_seconds"] >= 0
    assert [line["event"] for line in lines].count("epoch") == 8
    finished = [line for line in lines if line["event"] == "trial-finished"]
    assert len(finished) == 4 and {f["status"] for f in finished} == {"completed"}
    assert summary["status"] == "completed" and summary["winner"] in ("optimizer=sgd", "optimizer=momentum")

    shown = json.loads(cli(home, "study", "show", str(header["study_id"]), "--json").stdout)
    board = shown["leaderboard"]
    assert shown["winner"] == board[0]["key"] and board[0]["val"]["mean"] >= board[1]["val"]["mean"]
    assert board[0]["val"]["n"] == 2
    # Each trial's val is its kept (best-epoch) weights' validation accuracy, live and in the leaderboard.
    for f in finished:
        vals = [line["val_acc"] for line in lines if line["event"] == "epoch" and line["trial_key"] == f["trial_key"]]
        assert f["val_acc"] == max(vals) and f["last_val_acc"] == vals[-1]
    for row in board:
        mine = [f["val_acc"] for f in finished if f["trial_key"].startswith(row["key"] + " ")]
        assert row["val"]["mean"] == pytest.approx(sum(mine) / len(mine))

    text = cli(home, "study", "show", str(header["study_id"])).stdout
    assert "★" in text and "never used to choose" in text and "marginal effects" in text
    assert "kept (best-epoch) weights" in text
    runs = json.loads(cli(home, "runs", "list", "--json").stdout)
    assert len(runs) == 4 and {r["study_id"] for r in runs} == {header["study_id"]}
    assert sorted(r["trial_key"] for r in runs) == sorted(f["trial_key"] for f in finished)
    shown_run = cli(home, "runs", "show", str(finished[0]["run_id"])).stdout
    assert f"study {header['study_id']}, trial {finished[0]['trial_key']}" in shown_run
    listed = cli(home, "study", "list").stdout
    assert "4/4" in listed and "completed" in listed
    narrow = subprocess.run([*COMMAND, "study", "list"], env={**env_for(home), "COLUMNS": "80"},
                            capture_output=True, text=True).stdout  # piped: 80 columns
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert summary["winner"] in narrow.replace("\n", "") or summary["winner"].split("=")[1] in narrow
    assert "4/4" in narrow and "completed" in narrow

    # The same spec again is the same study: nothing is rerun, nothing recorded twice.
    again = json_lines(cli(home, "study", "run", *SMALL, "--vary", "optimizer=sgd,momentum", "--seeds", "2", "--json").stdout)
    assert again[0]["study_id"] == header["study_id"] and again[-1]["skipped"] == 4
    assert len(json.loads(cli(home, "runs", "list", "--json").stdout)) == 4


@pytest.mark.parametrize("args, message", [
    (["--vary", "colour=red"], "unknown option 'colour'"),
    (["--vary", "optimizer=sgd,adagrad"], "--vary optimizer: got 'adagrad', expected one of"),
    (["--vary", "lr=0.1,-1"], "--vary lr: got '-1', expected a number > 0"),
    (["--vary", "optimizer="], "--vary optimizer: got '', expected a list of values"),
    (["--vary", "optimizer=sgd,sgd"], "--vary optimizer: 'sgd' is listed twice"),
    (["--vary", "momentum=0.5,1.5"], "--vary momentum: got '1.5', expected a number in [0, 1)"),
    (["--vary", "lr=log:0.001..0.3"], "needs --random N"),
    (["--seeds", "1,1"], "--seeds: seed 1 is listed twice"),
    (["--preset", "newest"], "--preset: got 'newest'"),
    (["--lr", "0.1", "--vary", "lr=0.1,0.2"], "--lr is also given as a fixed option"),
    (["--vary", "hidden-sizes=64,32/0"], "--vary hidden-sizes: got '0'"),
    (["--vary", "optimizer=sgd", "--vary", "optimizer=momentum"], "--vary optimizer: given twice"),
])
def test_bad_input_exits_2_naming_the_option_and_value(tmp_path, args, message):
    result = cli(tmp_path / "home", "study", "run", *SMALL[:4], *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "runs.sqlite3").exists() or "no studies" in cli(tmp_path / "home", "study", "list").stdout


def test_a_grid_above_10000_trials_is_refused_unless_yes(tmp_path):
    values = ",".join(str(n) for n in range(1, 120))
    result = cli(tmp_path / "home", "study", "run", "--vary", f"batch-size={values}", "--vary", f"epochs={values}")
    assert result.returncode == 2 and "14,161 trials is more than 10,000" in result.stderr


def test_above_500_trials_it_asks_and_a_no_starts_nothing(tmp_path):
    values = ",".join(str(n) for n in range(1, 502))
    result = cli(tmp_path / "home", "study", "run", *SMALL, "--vary", f"batch-size={values}", input="n\n")
    assert result.returncode == 2 and "501 trials, about" in result.stderr and "Start? [y/N]" in result.stderr
    assert "not started" in result.stderr


def test_spec_file_syntax_error_names_line_and_column_and_bad_values_name_the_key(tmp_path):
    spec = tmp_path / "study.toml"
    spec.write_text('name = "x"\n[vary]\noptimizer = ["sgd", "momentum"\n')
    result = cli(tmp_path / "home", "study", "run", "--spec", str(spec))
    assert result.returncode == 2 and f"{spec}: not valid TOML" in result.stderr and "line 4, column 1" in result.stderr
    spec.write_text('[vary]\noptimizer = ["sgd", "adagrad"]\n')
    result = cli(tmp_path / "home", "study", "run", "--spec", str(spec))
    assert result.returncode == 2 and "[vary] optimizer: got 'adagrad'" in result.stderr
    spec.write_text('[fixed]\nepoch = 2\n')
    result = cli(tmp_path / "home", "study", "run", "--spec", str(spec))
    assert result.returncode == 2 and "[fixed] has unknown option 'epoch'" in result.stderr


def test_spec_file_runs_like_the_same_flags(tmp_path):
    spec = tmp_path / "study.toml"
    spec.write_text('name = "from a file"\nseeds = [3]\n[fixed]\nlimit = 500\nepochs = 1\nhidden-sizes = "8"\n'
                    '[vary]\nhidden-sizes = ["8", "4,4"]\nlr-decay = [true, false]\n')
    result = cli(tmp_path / "home", "study", "run", "--spec", str(spec), "--json")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert lines[0]["trials"] == 4 and lines[0]["spec"]["name"] == "from a file"
    keys = {line["trial_key"] for line in lines if line["event"] == "trial-finished"}
    assert "hidden-sizes=4,4 lr-decay=true seed=3" in keys


def test_unknown_study_id_exits_2(tmp_path):
    for action in ("show", "resume"):
        result = cli(tmp_path / "home", "study", action, "42")
        assert result.returncode == 2 and "unknown study id 42" in result.stderr


def test_resume_after_sigkill_of_the_study_process_loses_and_doubles_nothing(tmp_path):
    home = tmp_path / "home"
    args = ("study", "run", "--limit", "2000", "--epochs", "6", "--batch-size", "8", "--hidden-sizes", "16",
            "--vary", "optimizer=sgd,momentum", "--seeds", "3", "--workers", "2", "--json")
    process = start(home, *args)
    finished_before = []
    deadline = time.monotonic() + 180
    for line in process.stdout:  # wait until one trial has finished and others are running
        event = json.loads(line)
        if event["event"] == "trial-finished":
            finished_before.append(event)
        if finished_before and event["event"] == "epoch" and event["running"] >= 1 or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert finished_before, "no trial finished before the kill"
    study_id = 1

    listed = json.loads(cli(home, "runs", "list", "--json").stdout)
    assert "interrupted" in {r["status"] for r in listed}  # the runs in flight, found orphaned

    resumed = cli(home, "study", "resume", str(study_id), "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json_lines(resumed.stdout)[-1]
    assert summary["status"] == "completed" and summary["skipped"] >= len(finished_before)

    runs = json.loads(cli(home, "runs", "list", "--json").stdout)
    shown = [json.loads(cli(home, "runs", "show", str(r["id"]), "--json").stdout) for r in runs]
    keys = [r["trial_key"] for r in shown]
    assert len(keys) == 6 and len(set(keys)) == 6  # every trial exactly once
    assert all(r["status"] == "completed" and len(r["epochs"]) == 6 for r in shown)
    by_key = {r["trial_key"]: r for r in shown}
    for before in finished_before:  # what finished before the kill was kept, not redone
        assert by_key[before["trial_key"]]["id"] == before["run_id"]


def test_ctrl_c_cancels_the_study_with_exit_130_and_resume_finishes_it(tmp_path):
    home = tmp_path / "home"
    process = start(home, "study", "run", "--limit", "2000", "--epochs", "20", "--batch-size", "8", "--hidden-sizes",
                    "16", "--vary", "optimizer=sgd,momentum", "--seeds", "2", "--json")
    for line in process.stdout:
        if json.loads(line)["event"] == "epoch":
            break
    process.send_signal(signal.SIGINT)
    rest = json_lines(process.stdout.read())
    assert process.wait(timeout=60) == 130
    assert rest[-1]["event"] == "summary" and rest[-1]["status"] == "cancelled"
    cancelled = [line for line in rest if line["event"] == "trial-finished"]
    assert cancelled and {line["status"] for line in cancelled} == {"cancelled"}

    listed = json.loads(cli(home, "study", "list", "--json").stdout)
    assert listed[0]["status"] == "cancelled"
    resumed = cli(home, "study", "resume", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    runs = json.loads(cli(home, "runs", "list", "--json").stdout)
    assert len(runs) == 4 and {r["status"] for r in runs} == {"completed"}


def test_a_stored_spec_this_version_cannot_use_is_reported_not_a_traceback(tmp_path):
    home = tmp_path / "home"
    assert cli(home, "study", "run", *SMALL, "--vary", "optimizer=sgd,momentum").returncode == 0
    conn = sqlite3.connect(home / "runs.sqlite3")
    bad = json.dumps({"optimizer": ["adam\x1b[31m"]})
    conn.execute("UPDATE studies SET spec = json_set(spec, '$.vary', json(?))", (bad,))
    conn.commit()
    conn.close()
    for action in ("show", "resume"):
        result = cli(home, "study", action, "1")
        assert result.returncode == 1 and "study 1 has a spec this version cannot use" in result.stderr
        assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    listed = cli(home, "study", "list")
    assert listed.returncode == 0 and "\x1b" not in listed.stdout
