"""Does the dashboard stay responsive while a study trains on every core?

The real app runs in a pseudo-terminal (bench_dashboard.Terminal); it starts a study from the
Studies tab's runner (the original preset on the given options: its client in a child process,
one worker process per core) and the keys of bench_dashboard's STEPS are typed into the Train
tab's Seed field all along, each timed until the app draws its effect. `idle` is the same app
with no study: the latency floor. The issue's bar: key p95 < 50 ms while a study runs.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_study_dashboard.py [--epochs 5 --limit 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import READY, Terminal, cpu_seconds, key_latencies, percentile  # noqa: E402

STARTED, ENDED = b"its trials fill in", b"Study 1 completed"
APP_SCRIPT = """
import json, sys
from runs.config import RunConfig
from runs.store import RunStore
from runs.study_spec import preset
from tui.app import MnistTuiApp

class BenchApp(MnistTuiApp):
    def on_mount(self):  # runs before MnistTuiApp.on_mount, which focuses the first option
        self.call_after_refresh(self.query_one("#opt-seed").focus)
        if START:
            self.call_after_refresh(lambda: self.studies_pane.start(spec=preset("original", config, seeds=[0])))

START = sys.argv[2] == "study"
config = RunConfig.from_dict(json.loads(sys.argv[1]))
if __name__ == "__main__":
    BenchApp(RunStore.open(), initial=config).run()
"""


def session(mode: str, config: dict, env: dict[str, str], rounds: int, gap: float) -> dict:
    args = [sys.executable, "-c", APP_SCRIPT, json.dumps(config), mode]
    term = Terminal(args, env)
    try:
        if term.wait_for(READY, timeout=60) is None:
            raise RuntimeError("the app did not start:\n" + term.output.decode(errors="replace")[-2000:])
        if mode == "study" and term.wait_for(STARTED, timeout=120) is None:
            raise RuntimeError("the study did not start:\n" + term.output.decode(errors="replace")[-2000:])
        cpu_before, wall_before = cpu_seconds(term.process.pid), time.monotonic()
        latencies = key_latencies(term, ENDED if mode == "study" else None, rounds if mode == "idle" else 10**9, gap)
        if mode == "study" and term.wait_for(ENDED, timeout=3600) is None:
            raise RuntimeError("the study did not complete:\n" + term.output.decode(errors="replace")[-2000:])
        ui_cpu = (cpu_seconds(term.process.pid) - cpu_before) / (time.monotonic() - wall_before)
        term.send(b"\x11")  # ctrl+q
    finally:
        term.close()
    return {"latencies": latencies, "ui_cpu": ui_cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=10000, help="training subset of every trial")
    parser.add_argument("--gap", type=float, default=0.15, help="seconds between key presses")
    args = parser.parse_args()
    config = {"data": {"limit": args.limit}, "train": {"epochs": args.epochs, "batch_size": args.batch_size}}
    home = Path(tempfile.mkdtemp(prefix="bench-study-dashboard-"))
    env = dict(os.environ, MNIST_TUI_HOME=str(home), TERM="xterm-256color", COLORTERM="truecolor")

    print(f"config: {json.dumps(config)} (original preset, 1 seed)   cores: {os.cpu_count()}   "
          f"load avg (1 min): {os.getloadavg()[0]:.1f}")
    print(f"{'':<8} {'typing in a field (ms)':^26} {'moving the focus (ms)':^26}")
    print(f"{'mode':<8} {'keys':>5} {'p50':>6} {'p95':>6} {'max':>6} {'keys':>5} {'p50':>6} {'p95':>6} {'max':>6} {'app CPU':>8}")
    for mode in ("idle", "study"):
        result = session(mode, config, env, rounds=15, gap=args.gap)
        cells = []
        for kind in ("type", "focus"):
            lat = result["latencies"][kind]
            cells.append(f"{len(lat):>5} " + (f"{percentile(lat, 0.5):>6.0f} {percentile(lat, 0.95):>6.0f} {max(lat):>6.0f}"
                                              if lat else f"{'-':>6} {'-':>6} {'-':>6}"))
        print(f"{mode:<8} {cells[0]} {cells[1]} {result['ui_cpu']:>8.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
