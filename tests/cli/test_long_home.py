"""$MNIST_TUI_HOME longer than the OS allows (issue 9, item 14): one clear line, exit 2, no traceback."""

from __future__ import annotations

import subprocess

import pytest

from cli_helpers import COMMAND, env_for

LONG_NAME = "a" * 300  # over NAME_MAX (255 on Linux file systems)
LONG_PATH = "/".join(["b" * 200] * 30)  # 6,000 characters, over PATH_MAX (4096)


@pytest.mark.parametrize("tail", [LONG_NAME, LONG_PATH], ids=["name", "path"])
@pytest.mark.parametrize(
    "args", [("runs", "list"), ("runs", "list", "--json"), ("train", "--epochs", "1"), ("predict", "--run", "1"), ()],
    ids=["list", "list-json", "train", "predict", "dashboard"],
)
def test_a_home_path_too_long_is_refused_in_one_line(tmp_path, tail, args):
    home = tmp_path / tail
    result = subprocess.run([*COMMAND, *args], env=env_for(home), capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "MNIST_TUI_HOME" in result.stderr and "too long" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created on the way


def test_a_long_but_valid_home_works(tmp_path):
    home = tmp_path / ("c" * 200)
    result = subprocess.run([*COMMAND, "runs", "list", "--json"], env=env_for(home), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
