"""Does a store of 100,000 runs feel like a store of 10? One table over stores of 1,000 / 10,000 / 100,000 runs.

Each store is written through the store's own API (`create_run`, five `add_epoch`, `finish_run`
with a confusion matrix; a thousand runs per `batch()` transaction, the same statements and
triggers without a disk flush per write) and kept in --dir for later runs of this script. Per size:

- size: bytes per run in the file, and what holds them (SQLite's dbstat: tables and indices);
- `runs list --limit 50` and `runs list --jsonl` (every run, streamed): wall time and peak memory
  of the command's process;
- the dashboard (the real app, 160x48, History tab), in a process of its own under Pilot:
  start to usable (the first rows shown), start to every run read, the dashboard process's
  memory (VmRSS once every run is read), the CPU one epoch committed by another process costs
  it (one commit a second, less its idle rate); and in a pseudo-terminal, as a person types:
  key latency p95 in the History (down, page down, up; sort, reverse; a filter typed and
  erased), from writing the key to the first output the app draws after it.

Targets (issue 14): start < 2 s and key p95 < 50 ms at 100,000; commit < 5 ms at every size and
its ratio 100,000 vs 1,000 <= 1.5; `runs list --limit 50` < 0.5 s.

    .venv/bin/python bench/bench_scale.py [--sizes 1000,10000,100000] [--dir /tmp/mnist-tui-scale]

Building the 100,000-run store takes minutes once; it is reused afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

EPOCHS = 5
BATCH = 1000
COMMITS = 10
"""Epochs committed (one a second) by another process while the dashboard's CPU is measured."""


# ------------------------------------------------------------------ the stores
def _config(rng: random.Random):
    from nn_core.config import ModelConfig, TrainConfig
    from runs.config import DataConfig, RunConfig

    return RunConfig(
        data=DataConfig(limit=rng.choice([None, 5000, 20000])),
        model=ModelConfig(hidden_sizes=tuple(rng.choice([32, 64, 128, 256]) for _ in range(rng.randint(1, 3)))),
        train=TrainConfig(epochs=EPOCHS, optimizer=rng.choice(["sgd", "momentum", "adam"]),
                          learning_rate=rng.choice([0.001, 0.003, 0.01, 0.03, 0.1]), seed=rng.randint(0, 9)),
    )


def _confusion(rng: random.Random, accuracy: float) -> list[list[int]]:
    matrix = []
    for row in range(10):
        wrong = int(1000 * (1 - accuracy) * rng.uniform(0.5, 1.5))
        cells = [0] * 10
        for _ in range(wrong):
            cells[rng.choice([c for c in range(10) if c != row])] += 1
        cells[row] = 1000 - wrong
        matrix.append(cells)
    return matrix


def build(path: Path, runs: int) -> None:
    """A store of `runs` completed runs of EPOCHS epochs each (kept: built once per size)."""
    from runs.store import RunStore

    path.parent.mkdir(parents=True, exist_ok=True)
    with RunStore.open(path) as store:
        have = store.run_count()
        rng = random.Random(have)
        info = {"source": {"kind": "synthetic", "path": "bench"}, "checksums": {}, "train_size": 50000}
        while have < runs:
            with store.batch():
                for _ in range(min(BATCH, runs - have)):
                    run_id = store.create_run(_config(rng), info)
                    accuracy = rng.uniform(0.8, 0.98)
                    for epoch in range(1, EPOCHS + 1):
                        val = accuracy - 0.02 * (EPOCHS - epoch) + rng.uniform(-0.005, 0.005)
                        store.add_epoch(run_id, {
                            "epoch": epoch, "train_loss": 1 / epoch, "train_acc": val + 0.01, "val_loss": 1 - val,
                            "val_acc": val, "test_loss": 1 - val, "test_acc": val - 0.003, "lr": 0.01, "seconds": 2.0,
                        })
                    store.finish_run(run_id, "completed", final={"test_acc": accuracy, "test_loss": 1 - accuracy},
                                     confusion=_confusion(rng, accuracy))
            have = store.run_count()
            print(f"  {path.parent.name}: {have:,} runs", file=sys.stderr, flush=True)


def sizes(path: Path, runs: int) -> dict:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        parts = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        lengths = conn.execute(
            "SELECT avg(length(config)), avg(length(dataset)), avg(length(confusion)), avg(length(final)) FROM runs"
        ).fetchone()
    finally:
        conn.close()
    indices = sum(v for k, v in parts.items() if k not in ("runs", "epochs"))
    return {
        "bytes/run": path.stat().st_size / runs,
        "runs table/run": parts.get("runs", 0) / runs,
        "epochs table/run": parts.get("epochs", 0) / runs,
        "indices/run": indices / runs,
        "config, dataset, confusion, final JSON (avg bytes)": [round(x or 0) for x in lengths],
    }


# ------------------------------------------------------------------ commands
def command(home: Path, *args: str) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of `mnist-tui ARGS` on the store at `home`."""
    env = {**os.environ, "MNIST_TUI_HOME": str(home)}
    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "tui", *args], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"mnist-tui {' '.join(args)} failed: {process.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


# ------------------------------------------------------------------ dashboard
def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _committer(path: Path, commits: int) -> subprocess.Popen:
    """Another process: one run in the store, an epoch committed every second."""
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from runs.config import RunConfig
from runs.store import RunStore
store = RunStore.open({str(path)!r})
run = store.create_run(RunConfig(), {{}})
for epoch in range(1, {commits} + 1):
    time.sleep(1.0)
    store.add_epoch(run, {{"epoch": epoch, "val_acc": 0.9, "test_acc": 0.9, "seconds": 1.0}})
store.finish_run(run, "completed")
"""
    return subprocess.Popen([sys.executable, "-c", script])


async def _dashboard(path: Path, runs: int) -> dict:
    """In-process (Pilot): start, memory, commit CPU. No key is pressed here: Pilot's press waits
    until the app is idle, which a store being read in chunks is not (keys are timed in a pty)."""
    from textual.widgets import TabbedContent

    from runs.store import RunStore
    from tui.app import MnistTuiApp
    from tui.widgets.history_pane import HistoryPane

    started = time.monotonic()
    store = RunStore.open(path)
    app = MnistTuiApp(store)
    result: dict = {}
    async with app.run_test(size=(160, 48)):
        app.query_one(TabbedContent).active = "history"
        pane = app.query_one(HistoryPane)
        while pane.table.row_count == 0:
            await asyncio.sleep(0.005)
        result["start to usable s"] = time.monotonic() - started
        while pane._seq is None or pane._loading:
            await asyncio.sleep(0.01)
        result["start to all read s"] = time.monotonic() - started
        result["memory MiB"] = _rss_mib()

        # One epoch a second from another process: the dashboard's CPU, less the idle rate.
        await asyncio.sleep(1.0)
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(COMMITS + 1.0)
        idle_rate = (time.process_time() - cpu) / (time.monotonic() - wall)
        writer = _committer(path, COMMITS)
        cpu, wall = time.process_time(), time.monotonic()
        while writer.poll() is None:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # the last commit's poll
        busy = time.process_time() - cpu
        result["idle CPU %"] = 100 * idle_rate
        result["commit CPU ms"] = max(busy - idle_rate * (time.monotonic() - wall), 0.0) * 1000 / COMMITS
    store.close()
    return result


APP_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from runs.store import RunStore
from tui.app import MnistTuiApp
from tui.widgets.history_pane import HistoryPane

class BenchApp(MnistTuiApp):
    def on_mount(self):
        self.call_after_refresh(self.action_show_tab, "history")
        self.set_interval(0.1, self.check_read)

    def check_read(self):
        pane = self.query_one(HistoryPane)
        if pane._seq is not None and not pane._loading:
            open({marker!r}, "w").close()

BenchApp(RunStore.open({path!r})).run()
"""
DOWN, UP, ENTER = b"\x1b[B", b"\x1b[A", b"\r"
KEYS = (
    ("scroll", [DOWN] * 20 + [b"\x1b[6~"] * 5 + [UP] * 5),  # down, page down, up
    # The sort menu (s), its column list (the columns in History's order: id ... best val ... options)
    # and Enter; S reverses. Best validation accuracy, reversed, options, reversed, back to id.
    ("sort", [b"s", *[DOWN] * 5, ENTER, b"S", b"s", *[DOWN] * 5, ENTER, b"S", b"s", *[UP] * 10, ENTER, b"S"]),
    ("filter", [b"/", b"a", b"d", b"a", b"m", b"\x7f", b"\x7f", b"\x7f", b"\x7f"]),
)
REORDERS = {("sort", ENTER), ("sort", b"S")}
"""Keys that ask for a new sort order of every run: besides the key's latency (the app answers), the
time until the new order is drawn (the status line's "sorted by", written when the order is in; it
always changes with the sort. A filter key builds its order the same way, but its status line may
read as before, so the time to its new order cannot be seen from outside)."""


def key_latencies(path: Path, runs: int, rounds: int = 3) -> dict:
    """The real app in a pseudo-terminal: from writing a key to the first output the app draws after it."""
    from bench_dashboard import Terminal

    marker = path.parent / "history-read.marker"
    marker.unlink(missing_ok=True)
    script = APP_SCRIPT.format(root=str(ROOT), path=str(path), marker=str(marker))
    term = Terminal([sys.executable, "-c", script], dict(os.environ), size=(160, 48))
    result: dict[str, list[float]] = {}
    orders: dict[str, list[float]] = {}
    try:
        if term.wait_for("runs · 0 marked".encode(), timeout=120) is None:
            raise RuntimeError("the History never showed:\n" + term.output.decode(errors="replace")[-2000:])
        # Keys are timed once every run is read (the app writes the marker file then).
        deadline = time.monotonic() + 600
        while not marker.exists():
            if time.monotonic() > deadline or term.process.poll() is not None:
                raise RuntimeError("the History never read every run")
            time.sleep(0.1)
        time.sleep(1.0)
        for _ in range(rounds):
            for kind, keys in KEYS:
                for key in keys:
                    offset = term.send(key)
                    sent = time.monotonic()
                    shown = _first_output(term, offset)
                    result.setdefault(kind, []).append((shown - sent) * 1000)
                    if (kind, key) in REORDERS:
                        ready = term.wait_for(b"sorted by", offset, timeout=30)
                        if ready is None:
                            raise RuntimeError(f"no new order drawn 30 s after {kind} key {key!r}")
                        orders.setdefault(kind, []).append((ready - sent) * 1000)
                    time.sleep(0.15)
                if kind == "filter":
                    term.send(b"\x1b")  # back to the table (Escape's own latency includes the escape-key delay)
                time.sleep(2.0)  # a worker's new order is in
        term.send(b"\x11")
    finally:
        if term.process.poll() is None:
            term.process.kill()
        term.close()
        marker.unlink(missing_ok=True)
    out = {f"key p95 {kind} ms": _p95(v) for kind, v in result.items()}
    out["key p95 all ms"] = _p95([x for v in result.values() for x in v])
    out["key max all ms"] = max(x for v in result.values() for x in v)
    out.update({f"new order drawn p95 {kind} ms": _p95(v) for kind, v in orders.items()})
    return out


def _first_output(term, offset: int, timeout: float = 10.0) -> float:
    shown = term.output_after(offset, timeout)
    if shown is None:
        raise RuntimeError("a key drew nothing")
    return shown


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def dashboard(path: Path, runs: int) -> dict:
    """The dashboard measurements in a fresh process (its memory is the dashboard's alone)."""
    out = subprocess.run([sys.executable, __file__, "--dashboard-child", str(path), str(runs)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"the dashboard measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ report
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes in runs, comma-separated")
    parser.add_argument("--dir", default="/tmp/mnist-tui-scale", help="where the stores are built and kept")
    parser.add_argument("--no-dashboard", action="store_true", help="store and command measurements only")
    parser.add_argument("--dashboard-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dashboard_child:
        path, runs = Path(args.dashboard_child[0]), int(args.dashboard_child[1])
        print(json.dumps(asyncio.run(_dashboard(path, runs))))
        return 0

    rows: dict[int, dict] = {}
    for runs in (int(s) for s in args.sizes.split(",")):
        home = Path(args.dir) / f"runs-{runs}"
        build(home / "runs.sqlite3", runs)
        row = sizes(home / "runs.sqlite3", runs)
        row["runs list --limit 50 s"], row["runs list --limit 50 MiB"] = command(home, "runs", "list", "--limit", "50")
        row["runs list --jsonl s"], row["runs list --jsonl MiB"] = command(home, "runs", "list", "--jsonl")
        if not args.no_dashboard:
            row.update(dashboard(home / "runs.sqlite3", runs))
            row.update(key_latencies(home / "runs.sqlite3", runs))
        rows[runs] = row
        print(f"  {runs:,} runs: {json.dumps(row)}", file=sys.stderr, flush=True)

    sizes_ = list(rows)
    print(f"\n{'':48}" + "".join(f"{n:>14,}" for n in sizes_))
    for key in rows[sizes_[0]]:
        cells = [rows[n].get(key) for n in sizes_]
        shown = "".join(f"{c:>14.3f}" if isinstance(c, float) else f"{str(c):>14}" for c in cells)
        print(f"{key:48}{shown}")
    if "commit CPU ms" in rows[sizes_[0]] and len(sizes_) > 1:
        ratio = rows[sizes_[-1]]["commit CPU ms"] / max(rows[sizes_[0]]["commit CPU ms"], 1e-6)
        print(f"{'commit CPU ratio largest / smallest':48}{ratio:>14.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
