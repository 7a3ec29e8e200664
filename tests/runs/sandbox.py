"""Run a Python script in a private mount namespace, where it may mount a small tmpfs (a disk that
fills up for real) or make a folder read-only (a real EROFS), without root and without leaving
mounts behind: `unshare --user --map-root-user --mount` gives the child its own mount table.

Faking these faults inside SQLite (PRAGMA max_page_count, a patched open) would not reproduce
them: the failures under test come from the kernel refusing to create the -wal and -shm files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = '''
import json, os, subprocess, sys
def mnist_tui(*args):
    done = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "160"})
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}
def mount(*args):
    subprocess.run(["mount", *args], check=True)
'''


def run_sandboxed(script: str, tmp_path: Path) -> dict:
    """Run `script` (it may call mount(...) and mnist_tui(...)) and return what it prints as JSON."""
    source = tmp_path / "sandboxed.py"
    source.write_text(PRELUDE + textwrap.dedent(script))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(source)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
