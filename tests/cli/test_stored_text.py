"""Stored strings are shown as text by every command: no escape sequence reaches the terminal, no
markup is interpreted (a lone `[/]` used to crash `runs list` and `runs show`), JSON stays exact."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cli_helpers import cli, train_json
from hostile_store import HOSTILE, MARKUP_SHOWN, SHORT, assert_no_raw_controls, poison


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real runs; run 1 keeps a valid config with hostile free text, run 2 also has hostile option names
    (so run 2 is damaged: its problem quotes them)."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    for hidden in ("16", "8"):
        train_json(home, "--limit", "500", "--epochs", "1", "--hidden-sizes", hidden)
    poison(home / "runs.sqlite3", 1)
    poison(home / "runs.sqlite3", 2, config_strings=SHORT)
    return home


def shown(home: Path, *args: str, code: int = 0) -> str:
    """stdout and stderr of a command that must exit with `code`, checked for raw control characters."""
    result = cli(home, *args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert_no_raw_controls(result.stdout + result.stderr)
    return result.stdout


def test_runs_show_prints_message_paths_and_file_names_literally(home):
    out = shown(home, "runs", "show", "1")
    assert f"message: boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN} \\x9b2J \\u202eabc\\x1b[2J" in out
    assert f"from env boom\\x1b]0;pwned\\x07 {MARKUP_SHOWN}" in out  # the data source path
    assert f"{'0' * 64}  boom\\x1b]0;pwned" in out  # a checksum's file name


def test_runs_list_names_bad_option_names_literally(home):
    result = cli(home, "runs", "list")
    assert result.returncode == 1 and "damaged" in result.stdout  # run 2's option names are not valid
    assert_no_raw_controls(result.stdout + result.stderr)
    assert "run 2 is damaged: config: activation: got '[link=http://e.x]L[/link][/]\\x1b[31m\\u202e'" in result.stderr


def test_runs_compare_names_bad_option_names_literally(home):
    result = cli(home, "runs", "compare", "1", "2", "--all")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert_no_raw_controls(result.stdout + result.stderr)
    assert "got '[link=http://e.x]L[/link][/]\\x1b[31m\\u202e'" in result.stderr  # optimizer and activation of run 2


def test_json_output_keeps_every_stored_string_exactly(home):
    listed = json.loads(shown(home, "runs", "list", "--json", code=1))
    assert [r["message"] for r in listed] == [HOSTILE, HOSTILE]
    assert repr(SHORT) in listed[0]["problems"][0]  # newest first: the damaged run 2
    run = json.loads(shown(home, "runs", "show", "1", "--json"))
    assert run["config"]["data"]["data_dir"] == HOSTILE
    assert run["dataset"]["source"]["path"] == HOSTILE and HOSTILE in run["dataset"]["checksums"]
    exported = json.loads(shown(home, "runs", "export", "1", "--format", "json"))
    assert exported["message"] == HOSTILE


def test_an_error_quoting_a_stored_path_is_shown_as_text(home):
    """predict reads the run's stored data folder; the error that names it must not carry its escapes."""
    result = cli(home, "predict", "--run", "1", "--count", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert_no_raw_controls(result.stdout + result.stderr)
    assert "boom\\x1b]0;pwned\\x07 [link=" in result.stderr


def test_the_delete_question_shows_option_names_as_text(home):
    result = cli(home, "runs", "delete", "2", input="n\n")
    assert result.returncode == 1 and "nothing deleted" in result.stderr
    assert_no_raw_controls(result.stdout + result.stderr)
    assert "delete run 2 (?, damaged," in result.stdout


def test_csv_export_on_stdout_shows_a_damaged_cell_as_text(home, tmp_path):
    """Text where a number belongs (a hand-edited row) must not reach the terminal raw either."""
    damaged = tmp_path / "home"
    shutil.copytree(home, damaged)
    with sqlite3.connect(damaged / "runs.sqlite3") as conn:
        conn.execute("UPDATE epochs SET train_loss = ? WHERE run_id = 1", (HOSTILE,))
    conn.close()
    result = cli(damaged, "runs", "export", "1", "--format", "csv")
    assert "Traceback" not in result.stderr
    assert_no_raw_controls(result.stdout + result.stderr)


def test_data_commands_show_a_folder_name_as_text(home, tmp_path):
    folder = tmp_path / "data\x1b]0;pwned\x07[bold]"
    folder.mkdir()
    for action in ("verify", "info"):
        result = cli(home, "data", action, "--data-dir", str(folder))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert_no_raw_controls(result.stdout + result.stderr)
        assert "data\\x1b]0;pwned\\x07[bold]" in result.stderr
