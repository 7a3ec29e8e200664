"""Does the dashboard stay responsive while a study trains on every core?

The real app runs in a pseudo-terminal (bench_dashboard.Terminal); it starts a study from the
Studies tab's runner (the original preset on the given options: its client in a child process,
one worker process per core) and the keys of bench_dashboard's STEPS are typed into the Train
tab's Seed field all along, each timed until the app draws its effect. `idle` is the same app
with no study: the latency floor. The issue's bar: key p95 < 50 ms while a study runs.

With `--store FILE` the study runs in a copy of that store (say the 100,000-run store bench_scale.py
builds), and `--where history` types in the History tab instead, which then shows every run and
takes each epoch the study commits: arrows (timed to the first output the app draws after the key)
and S, which orders every run again (timed to the first output, and to the new order drawn).

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_study_dashboard.py [--epochs 5 --limit 10000]
    ... bench/bench_study_dashboard.py --store /tmp/mnist-tui-scale/runs-100000/runs.sqlite3 --where history
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
        if HISTORY:
            self.call_after_refresh(self.action_show_tab, "history")
            self.set_interval(0.1, self.check_read)
        else:
            self.call_after_refresh(self.query_one("#opt-seed").focus)
        if START:
            self.call_after_refresh(lambda: self.studies_pane.start(spec=preset("original", config, seeds=[0])))

    def check_read(self):  # every run of the store read: the History's keys are timed from now
        from pathlib import Path
        from tui.widgets.history_pane import HistoryPane
        pane = self.query_one(HistoryPane)
        if pane._seq is not None and not pane._loading:
            Path(sys.argv[4]).touch()  # a file, not a notification: a toast would hide the status line

START, HISTORY = sys.argv[2] == "study", sys.argv[3] == "history"
config = RunConfig.from_dict(json.loads(sys.argv[1]))
if __name__ == "__main__":
    BenchApp(RunStore.open(), initial=config).run()
"""


DOWN, UP = b"\x1b[B", b"\x1b[A"
HISTORY_STEPS = [("arrows", DOWN)] * 5 + [("arrows", UP)] * 5 + [("sort", b"S")]


def history_latencies(term: Terminal, until: bytes | None, rounds: int, gap: float) -> dict[str, list[float]]:
    """HISTORY_STEPS in turn, each timed to the first output after it; S also to its new order drawn."""
    latencies: dict[str, list[float]] = {"arrows": [], "sort": [], "sort order drawn": []}
    done = 0
    while done < rounds and not term.closed and not (until is not None and until in term.output):
        for kind, key in HISTORY_STEPS:
            offset = term.send(key)
            sent = time.monotonic()
            shown = term.output_after(offset)
            if shown is None:
                raise RuntimeError(f"{key!r} drew nothing")
            latencies[kind].append((shown - sent) * 1000)
            if key == b"S":
                drawn = term.wait_for(b"sorted by", offset, timeout=30)
                if drawn is None:
                    raise RuntimeError("no new order drawn 30 s after S")
                latencies["sort order drawn"].append((drawn - sent) * 1000)
            time.sleep(gap)
        done += 1
    return latencies


def session(mode: str, config: dict, env: dict[str, str], rounds: int, gap: float, where: str = "train") -> dict:
    read = Path(env["MNIST_TUI_HOME"]) / "history-read.marker"
    read.unlink(missing_ok=True)
    args = [sys.executable, "-c", APP_SCRIPT, json.dumps(config), mode, where, str(read)]
    term = Terminal(args, env)
    try:
        if term.wait_for(READY if where == "train" else "runs · 0 marked".encode(), timeout=60) is None:
            raise RuntimeError("the app did not start:\n" + term.output.decode(errors="replace")[-2000:])
        deadline = time.monotonic() + 600
        while where == "history" and not read.exists():
            if time.monotonic() > deadline or term.process.poll() is not None:
                raise RuntimeError("the History never read the store:\n" + term.output.decode(errors="replace")[-2000:])
            time.sleep(0.1)
        if mode == "study" and term.wait_for(STARTED, timeout=120) is None:
            raise RuntimeError("the study did not start:\n" + term.output.decode(errors="replace")[-2000:])
        cpu_before, wall_before = cpu_seconds(term.process.pid), time.monotonic()
        timed = history_latencies if where == "history" else key_latencies
        latencies = timed(term, ENDED if mode == "study" else None, rounds if mode == "idle" else 10**9, gap)
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
    parser.add_argument("--store", type=Path, help="run the study in a copy of this run store (runs.sqlite3)")
    parser.add_argument("--where", choices=("train", "history"), default="train",
                        help="type in the Train tab's Seed field, or in the History")
    args = parser.parse_args()
    config = {"data": {"limit": args.limit}, "train": {"epochs": args.epochs, "batch_size": args.batch_size}}
    home = Path(tempfile.mkdtemp(prefix="bench-study-dashboard-"))
    env = dict(os.environ, MNIST_TUI_HOME=str(home), TERM="xterm-256color", COLORTERM="truecolor")
    if args.store:
        shutil.copyfile(args.store, home / "runs.sqlite3")
    kinds = ("arrows", "sort", "sort order drawn") if args.where == "history" else ("type", "focus")
    titles = {"type": "typing in a field", "focus": "moving the focus", "arrows": "History: arrows",
              "sort": "History: S", "sort order drawn": "S: new order drawn"}

    runs = ""
    if args.store:
        from runs.store import RunStore

        with RunStore.open(home / "runs.sqlite3") as store:
            runs = f"   store: {store.run_count():,} runs"
    print(f"config: {json.dumps(config)} (original preset, 1 seed)   cores: {os.cpu_count()}   "
          f"load avg (1 min): {os.getloadavg()[0]:.1f}{runs}")
    print(f"{'':<8} " + " ".join(f"{titles[k] + ' (ms)':^26}" for k in kinds))
    print(f"{'mode':<8} " + " ".join(f"{'keys':>5} {'p50':>6} {'p95':>6} {'max':>6}" for _ in kinds) + f" {'app CPU':>8}")
    for mode in ("idle", "study"):
        result = session(mode, config, env, rounds=15 if args.where == "train" else 5, gap=args.gap, where=args.where)
        cells = []
        for kind in kinds:
            lat = result["latencies"][kind]
            cells.append(f"{len(lat):>5} " + (f"{percentile(lat, 0.5):>6.0f} {percentile(lat, 0.95):>6.0f} {max(lat):>6.0f}"
                                              if lat else f"{'-':>6} {'-':>6} {'-':>6}"))
        print(f"{mode:<8} {' '.join(cells)} {result['ui_cpu']:>8.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
