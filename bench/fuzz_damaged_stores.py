"""Fuzz of damaged run stores: every damage of tests/cli/damaged_stores.py x every command, counted.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/fuzz_damaged_stores.py

Builds a healthy home (two small trained runs with model files), then for each damage a fresh copy
of it, damages it and runs `runs list`, `runs list --json`, `runs show`, `runs show --json`,
`runs compare`, `runs export` (csv, json), `predict`, `runs delete --yes` and `train` in this
process (`tui.cli.main`). Counts: tracebacks (an exception escaping a command), hangs (over 20 s),
exit codes other than 0/1/2, refused stores whose files changed (any byte of the database, -wal,
-shm or models), damaged runs not named in the message, files changed outside the damaged home (the
healthy home it was copied from), and peak memory of the whole process.
The same catalogue runs as tests (tests/cli/test_damaged_stores.py) with assertions per case.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "cli"))

from damaged_stores import HARMLESS, ROW_DAMAGE, STORE_DAMAGE, digests, run_command  # noqa: E402
from nn_core.config import TrainConfig  # noqa: E402
from runs.config import DataConfig, RunConfig  # noqa: E402
from runs.service import execute_run  # noqa: E402
from runs.store import RunStore  # noqa: E402

COMMANDS = (
    ("runs", "list"), ("runs", "list", "--json"), ("runs", "show", "1"), ("runs", "show", "1", "--json"),
    ("runs", "compare", "1", "2"), ("runs", "export", "1"), ("runs", "export", "1", "--format", "json"),
    ("predict", "--run", "1", "--count", "1"), ("runs", "delete", "1", "--yes"),
    ("train", "--epochs", "1", "--limit", "100", "--val-size", "0"),
)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="mnist-tui-fuzz-"))
    healthy = work / "healthy" / "home"
    config = RunConfig(data=DataConfig(limit=300, val_size=100), train=TrainConfig(epochs=2))
    with RunStore.open(healthy / "runs.sqlite3") as store:
        for _ in range(2):
            execute_run(config, store=store)
    pristine = digests(healthy.parent)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    groups = (("store damage (refused)", STORE_DAMAGE), ("row damage", ROW_DAMAGE), ("harmless", HARMLESS))
    for group, catalogue in groups:
        for name, damage in catalogue.items():
            home = work / f"case-{counts['stores']}" / "home"
            counts["stores"] += 1
            shutil.copytree(healthy, home, symlinks=True)
            damage(home)
            before = digests(home)
            for command in COMMANDS:
                outcome = run_command(home, *command)
                counts["commands"] += 1
                label = f"{group} / {name} / {' '.join(command)}"
                if outcome.crash == "hang":
                    counts["hangs"] += 1
                    failures.append(f"HANG {label}")
                elif outcome.crash:
                    counts["tracebacks"] += 1
                    failures.append(f"TRACEBACK {label}: {outcome.crash.strip().splitlines()[-1]}")
                elif outcome.code not in (0, 1, 2):
                    counts["bad exit codes"] += 1
                    failures.append(f"EXIT {outcome.code} {label}")
                if catalogue is STORE_DAMAGE and digests(home) != before:
                    counts["refused stores modified"] += 1
                    failures.append(f"MODIFIED {label}")
                    before = digests(home)
                if (catalogue is ROW_DAMAGE and command[0] != "train" and command[:2] != ("runs", "delete")
                        and "run 1 is damaged" not in outcome.err):
                    counts["damaged run not named"] += 1
                    failures.append(f"NOT NAMED {label}: exit {outcome.code} {outcome.err.strip()[:120]}")
                if catalogue is ROW_DAMAGE and command[:2] == ("runs", "delete"):
                    before = digests(home)
                if digests(healthy.parent) != pristine:  # another home, e.g. the one this was copied from
                    counts["files outside the home changed"] += 1
                    failures.append(f"OUTSIDE {label}")
                    pristine = digests(healthy.parent)
    shutil.rmtree(work, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{counts['stores']} damaged stores x {len(COMMANDS)} commands = {counts['commands']} command runs")
    keys = ("tracebacks", "hangs", "bad exit codes", "refused stores modified", "damaged run not named",
            "files outside the home changed")
    for key in keys:
        print(f"  {key:<30} {counts[key]}")
    print(f"  peak memory (whole process) {peak_mb:.0f} MB")
    for line in failures[:40]:
        print("   ", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
