"""`predict --weights best|last`: whose weights it used is printed; without a validation set there is no best."""

from __future__ import annotations

import json

from tests.cli.cli_helpers import cli, train_json


def test_predict_says_and_switches_whose_weights(tmp_path):
    summary = train_json(tmp_path, "--limit", "2000", "--val-size", "500", "--epochs", "3")[-1]
    assert summary["weights"] == "best"
    default = cli(tmp_path, "predict", "--run", "1", "--count", "2")
    last = cli(tmp_path, "predict", "--run", "1", "--count", "2", "--weights", "last")
    assert default.returncode == last.returncode == 0, default.stderr + last.stderr
    assert "best-validation weights" in default.stdout and "last epoch's weights" in last.stdout
    assert f"accuracy {100 * summary['test_acc']:.2f}%" in default.stdout  # the reported number is the best's


def test_best_weights_without_a_validation_set_are_refused(tmp_path):
    summary = train_json(tmp_path, "--limit", "2000", "--val-size", "0", "--epochs", "2")[-1]
    assert summary["weights"] == "last"
    result = cli(tmp_path, "predict", "--run", "1", "--weights", "best")
    assert result.returncode == 2 and "argument --weights" in result.stderr and "no best-validation" in result.stderr
    (run,) = json.loads(cli(tmp_path, "runs", "list", "--json").stdout)
    assert run["best_val_acc"] is None and run["best_epoch"] is None  # never a best picked on test
    assert run["test_weights"] == "last" and run["test_acc"] == summary["test_acc"]
