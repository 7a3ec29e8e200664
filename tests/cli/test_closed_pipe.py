"""A reader that closes the pipe (`mnist-tui runs list --json | head -c 100`) ends a command quietly."""

from __future__ import annotations

import os
import subprocess

import pytest
from cli_helpers import COMMAND, env_for


@pytest.mark.parametrize("args", [
    ("runs", "list", "--json"),
    ("runs", "list"),
    ("study", "list"),
])
def test_a_closed_pipe_is_no_traceback(tmp_path, args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes anything: every write is EPIPE
    try:
        result = subprocess.run([*COMMAND, *args], env=env_for(tmp_path / "home"), stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141


def test_help_into_a_closed_pipe_is_quiet(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([*COMMAND, "runs", "--help"], env=env_for(tmp_path / "home"), stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == "" and result.returncode in (0, 141)
