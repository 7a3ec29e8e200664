"""Who owns a `running` run: pid, hostname and process start time, and whether that process still lives.

The start time guards against pid reuse: a new process that happens to get the dead
owner's pid has a different start time, so the run is still recognised as orphaned.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Owner:
    pid: int
    hostname: str
    started: str | None
    """Kernel start time of the process (Linux /proc), or None where unknown."""


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, starttime) from /proc/<pid>/stat, or None without /proc or without that process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; fields resume after the last ')'.
    rest = raw[raw.rindex(")") + 2 :].split()
    return rest[0], rest[19]


def current_owner() -> Owner:
    pid = os.getpid()
    stat = _proc_stat(pid)
    return Owner(pid=pid, hostname=socket.gethostname(), started=stat[1] if stat else None)


def is_alive(owner: Owner) -> bool | None:
    """True/False for a process on this host; None when it ran elsewhere and cannot be checked."""
    if owner.hostname != socket.gethostname():
        return None
    if Path("/proc/self/stat").exists():
        stat = _proc_stat(owner.pid)
        if stat is None or stat[0] in ("Z", "X"):
            return False
        return owner.started is None or stat[1] == owner.started
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
