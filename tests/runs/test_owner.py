"""Telling whether a run's owner process still lives: dead, alive, reused pid, other host."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from runs.owner import current_owner, is_alive


def test_this_process_is_alive():
    assert is_alive(current_owner()) is True


def test_a_finished_process_is_dead():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert is_alive(replace(current_owner(), pid=int(proc.stdout))) is False


def test_a_reused_pid_with_another_start_time_is_dead():
    me = current_owner()
    assert me.started is not None  # Linux: /proc gives the start time
    assert is_alive(replace(me, started=str(int(me.started) + 1))) is False


def test_a_process_on_another_host_cannot_be_judged():
    assert is_alive(replace(current_owner(), hostname="some-other-host")) is None
