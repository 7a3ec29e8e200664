"""Smoke test of the engine benchmark on a tiny slice of real MNIST: it runs and prints its tables.

Speed is judged by reading the bench's output, never by timed assertions here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_engine.py"


def test_bench_prints_all_tables_for_a_tiny_run():
    cmd = [sys.executable, str(BENCH), "--quick", "--engines", "nn_core,numpy", "--batch-sizes", "8",
           "--batches", "5", "--limit", "400", "--subnormal-epochs", "1", "--option-batch-sizes", "8"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "## Speed" in text and "## BLAS threads" in text and "## Subnormals" in text and "## Training options" in text
    options = re.findall(r"^\| 8 \| ([a-z][^|]*?) \| ([\d.]+) \| ([\d.]+) \|", text, re.MULTILINE)
    assert [name for name, _, _ in options][:3] == ["momentum (reference)", "nesterov", "adam"]
    assert len(options) == 7 and all(float(s) > 0 and float(r) > 0 for _, s, r in options)
    assert dict((n, float(r)) for n, _, r in options)["momentum (reference)"] == 1.0
    speed = re.search(r"^\| 8 \| ([\d.]+) \| ([\d.]+) \|", text, re.MULTILINE)
    assert speed and float(speed[1]) > 0 and float(speed[2]) > 0
    # Peak-memory cells come from child processes and must be real numbers.
    assert re.search(r"^\| 8 \|.*\| [\d.]+ \| [\d.]+ \|$", text, re.MULTILINE)


def test_bench_refuses_an_unknown_engine():
    out = subprocess.run([sys.executable, str(BENCH), "--engines", "tensorflow"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "--engines: unknown 'tensorflow'" in out.stderr
