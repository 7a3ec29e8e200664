"""The suite itself: without the datasets it stops at once with one message saying what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_without_the_datasets_the_suite_stops_once_saying_where_it_looks(tmp_path):
    empty = tmp_path / "no-datasets"
    (empty / "mnist").mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "tests/test_import_hygiene.py"],
        cwd=ROOT, env={**os.environ, "MNIST_TUI_DATA": str(empty)}, capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "the tests need the real MNIST and Fashion-MNIST files" in output
    assert str(empty) in output and "mnist/train-images-idx3-ubyte.gz" in output
    assert "passed" not in output and "failed" not in output  # stopped before any test ran
