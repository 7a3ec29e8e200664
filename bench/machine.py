"""Measuring helpers that depend on the machine: a competing busy core and peak memory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def busy_core(enabled: bool = True) -> Iterator[None]:
    """A child process spinning on one core for the duration of the block (as a UI thread might)."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"/proc/self/status has no {field}")


@contextmanager
def peak_rss_growth() -> Iterator[dict]:
    """Yields a dict whose "mib" becomes the peak resident-set growth during the block.

    Linux only: resets the process's high-water mark (writing 5 to /proc/self/clear_refs), then
    reads VmHWM - VmRSS(before). Use in a fresh process so freed memory of earlier work does not hide
    new allocations.
    """
    result: dict = {}
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    yield result
    result["mib"] = (_status_kib("VmHWM") - before) / 1024
