"""Run `mnist-tui` as a user would: a separate process, with a private run-store home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COMMAND = [sys.executable, "-m", "tui"]


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "MNIST_TUI_HOME": str(home), "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}


def cli(home: Path, *args: str, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], env=env_for(home), capture_output=True, text=True,
                          input=input, timeout=timeout)


def start(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*COMMAND, *args], env=env_for(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def train_json(home: Path, *args: str) -> list[dict]:
    """Run `train --json` to completion; returns its JSON lines (asserting it succeeded)."""
    result = cli(home, "train", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json_lines(result.stdout)
