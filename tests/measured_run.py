"""Run a command as a subprocess and report its exit code, output, peak memory and whether it hung.

Peak memory is the child's VmHWM (its resident high-water mark), read from /proc every couple of
milliseconds while it runs. Neither RUSAGE_CHILDREN (the maximum over every child ever waited for)
nor even `os.wait4`'s ru_maxrss of the one child will do: Linux carries the forking parent's
high-water mark into the child's, so a test process that once held 500 MB would see every command
at 500 MB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Measured:
    returncode: int | None
    """None when the command hung and was killed."""
    stdout: str
    stderr: str
    peak_rss_kib: int
    """Highest VmHWM seen (KiB); it lags the true peak by at most one poll interval."""
    seconds: float
    signalled: bool = False
    """The `send` signal went out while the command still ran (not when it had ended first)."""

    @property
    def hung(self) -> bool:
        return self.returncode is None


def maps_library(name: str) -> Callable[[int], bool]:
    """A `ready` test: the process has mapped a shared library whose path contains `name`."""

    def ready(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/maps") as maps:
                return name in maps.read()
        except OSError:
            return False

    return ready


def run_measured(
    argv: list[str], env: dict[str, str], timeout: float = 60,
    send: tuple[float, int] | None = None, ready: Callable[[int], bool] | None = None,
) -> Measured:
    """Run `argv` to its end (killed after `timeout` s).

    `send` = (delay, signal) signals it once, `delay` s after start, or after `ready(pid)` first
    holds when given (e.g. once its own code runs, past the interpreter's start-up).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        status, hung, peak, signalled = None, False, 0, False
        origin = None if ready else started
        while status is None:
            peak = max(peak, _high_water_kib(proc.pid))
            pid, raw, _ = os.wait4(proc.pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if origin is None and ready(proc.pid):
                origin = time.monotonic()
            if pid:
                status = raw
            elif send is not None and origin is not None and time.monotonic() - origin >= send[0]:
                os.kill(proc.pid, send[1])
                send, signalled = None, True
            elif elapsed > timeout:
                os.kill(proc.pid, signal.SIGKILL)
                hung = True
            else:
                time.sleep(0.002)
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return Measured(None if hung else proc.returncode, out.read(), err.read(), peak, time.monotonic() - started,
                        signalled)


def _high_water_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
