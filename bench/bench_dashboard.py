"""Does the dashboard stay responsive while it trains, and what does it cost the training?

Runs the real app in a pseudo-terminal (as a person would see it), starts a full-MNIST run,
and keeps typing into an option field while it trains: the key-to-screen latency is the time
from writing a key to the terminal until the app's output shows the change it causes (an
inline "Seed: 'x' is not valid" under the options). Throughput is the run's training
samples per second (train size / epoch seconds, from the run store) compared with
`execute_run` called headless in this same process, before and after, on the same config.
"app CPU" is the share of one core the app's own process used (for `process` mode, the UI
only; for `thread`, UI plus training).

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_dashboard.py [--epochs 30 --repeat 3]

Modes: `idle` (app open, no run: the latency floor), `process` (training in a child process,
the default), `thread` (training in a thread of the app's process); each run mode is measured
twice: only watching the run (throughput with the dashboard open) and typing all along.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = (
    # (kind, keys written to the terminal, text the app draws in response)
    ("type", b"x", b"Seed: 'x' is not valid"),  # the inline error under the options
    ("type", b"\x7f", b"Seed: '' is not valid"),  # backspace
    ("focus", b"\x1b[Z", b"Stop after N epochs"),  # shift+tab: the help line of the previous option (Early stop)
    ("focus", b"\t", b"Random seed"),  # tab back: the Seed help line
)
READY = b"Random seed"  # the help line of the focused Seed field: keys now go there

APP_SCRIPT = """
import json, sys
from runs.config import RunConfig
from runs.store import RunStore
from tui.app import MnistTuiApp

class BenchApp(MnistTuiApp):
    def on_mount(self):  # runs before MnistTuiApp.on_mount, which focuses the first option
        self.call_after_refresh(self.query_one("#opt-seed").focus)
        if START:
            self.call_after_refresh(self.action_start_run)

START = sys.argv[2] == "start"
config = RunConfig.from_dict(json.loads(sys.argv[1]))
if __name__ == "__main__":
    BenchApp(RunStore.open(), runner=sys.argv[3], initial=config).run()
"""


class Terminal:
    """The app under a pseudo-terminal; a reader thread collects its output with arrival times."""

    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (160, 50)) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, cwd=ROOT)
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            with self.changed:
                if not chunk:
                    self.closed = True
                    self.changed.notify_all()
                    return
                self.output += chunk
                self.changed.notify_all()

    closed = False

    def send(self, data: bytes) -> int:
        """Write keys; returns the output offset at that moment (search from there)."""
        with self.changed:
            offset = len(self.output)
        os.write(self.master, data)
        return offset

    def wait_for(self, needle: bytes, start: int = 0, timeout: float = 60.0) -> float | None:
        """Monotonic time when `needle` appeared after `start`, or None on timeout/exit."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while needle not in self.output[start:]:  # only what the app wrote after `start`
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.changed.wait(left)
            return time.monotonic()

    def output_after(self, offset: int, timeout: float = 10.0) -> float | None:
        """Monotonic time when the app first wrote anything after `offset`, or None on timeout/exit."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.output) <= offset:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.changed.wait(left)
            return time.monotonic()

    def close(self) -> None:
        """Wait for the app to quit (it was sent ctrl+q), or kill it: a measurement that failed
        half-way must not leave an app (and a study's workers) running and loading the machine."""
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the app and its workers
            self.process.wait()
        finally:
            os.close(self.master)


def key_latencies(term: Terminal, until: bytes | None, rounds: int, gap: float) -> dict[str, list[float]]:
    """Press each of STEPS in turn and time it until its text is drawn; stop at `until` or after `rounds`."""
    latencies: dict[str, list[float]] = {"type": [], "focus": []}
    done = 0
    while done < rounds and not term.closed and not (until is not None and until in term.output):
        for kind, keys, shown_text in STEPS:
            offset = term.send(keys)
            sent = time.monotonic()
            shown = term.wait_for(shown_text, offset, timeout=10)
            if shown is None:
                raise RuntimeError(f"{keys!r} never showed {shown_text!r}")
            latencies[kind].append((shown - sent) * 1000)
            time.sleep(gap)
        done += 1
    return latencies


def dashboard(mode: str, config: dict, env: dict[str, str], rounds: int, gap: float, typing: bool = True) -> dict:
    """One app session; `typing=False` only watches the run (throughput with the dashboard open)."""
    start = mode != "idle"
    runner = "process" if mode == "idle" else mode
    args = [sys.executable, "-c", APP_SCRIPT, json.dumps(config), "start" if start else "idle", runner]
    term = Terminal(args, env)
    try:
        if term.wait_for(READY, timeout=60) is None:
            raise RuntimeError("the app did not start:\n" + term.output.decode(errors="replace")[-2000:])
        if start and term.wait_for(b"Training run #", timeout=300) is None:
            raise RuntimeError("the run did not start:\n" + term.output.decode(errors="replace")[-2000:])
        cpu_before, wall_before = cpu_seconds(term.process.pid), time.monotonic()
        latencies = (
            key_latencies(term, b"Completed run #" if start else None, rounds if not start else 10**9, gap)
            if typing else {"type": [], "focus": []}
        )
        if start and term.wait_for(b"Completed run #", timeout=3600) is None:
            raise RuntimeError("the run did not complete")
        ui_cpu = (cpu_seconds(term.process.pid) - cpu_before) / (time.monotonic() - wall_before)
        term.send(b"\x11")  # ctrl+q
    finally:
        term.close()
    return {"latencies": latencies, "ui_cpu": ui_cpu}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (not its children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def epoch_rates(home: Path) -> list[float]:
    """Training samples per second of each epoch of the newest run in the store at `home`."""
    from runs.store import RunStore

    with RunStore.open(home / "runs.sqlite3") as store:
        run = store.list_runs()[-1]
        if run.status != "completed":
            raise RuntimeError(f"run {run.id} ended {run.status}: {run.message}")
        train_size = run.dataset["train_size"]
        return [train_size / e["seconds"] for e in run.epochs]


def headless(config: dict, home: Path) -> list[float]:
    from runs.config import RunConfig
    from runs.service import execute_run
    from runs.store import RunStore

    with RunStore.open(home / "runs.sqlite3") as store:
        finished = execute_run(RunConfig.from_dict(config), store=store)
    if finished.status != "completed":
        raise RuntimeError(f"headless run ended {finished.status}: {finished.message}")
    return epoch_rates(home)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30,
                        help="keys are timed while the run trains: 30 full-MNIST epochs give ~25 of each kind per round")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="training subset (default: all 55,000)")
    parser.add_argument("--gap", type=float, default=0.15, help="seconds between key presses")
    parser.add_argument("--modes", default="idle,process,thread")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; each is bracketed by headless runs")
    args = parser.parse_args()
    config = {"data": {"limit": args.limit}, "train": {"epochs": args.epochs, "batch_size": args.batch_size}}
    home = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    env = dict(os.environ, MNIST_TUI_HOME=str(home), TERM="xterm-256color", COLORTERM="truecolor")
    os.environ["MNIST_TUI_HOME"] = str(home)

    variants = [(m, t) for m in args.modes.split(",") for t in ((True,) if m == "idle" else (False, True))]
    latencies: dict[tuple, list[float]] = {(*v, kind): [] for v in variants for kind in ("type", "focus")}
    cpu: dict[tuple, list[float]] = {v: [] for v in variants}
    ratios: dict[tuple, list[float]] = {v: [] for v in variants}
    references = [statistics.median(headless(config, home))]
    for _ in range(args.repeat):
        speeds = {}
        for mode, typing in variants:
            result = dashboard(mode, config, env, rounds=15, gap=args.gap, typing=typing)
            for kind in ("type", "focus"):
                latencies[mode, typing, kind] += result["latencies"][kind]
            cpu[mode, typing].append(result["ui_cpu"])
            if mode != "idle":
                speeds[mode, typing] = statistics.median(epoch_rates(home))
        references.append(statistics.median(headless(config, home)))
        # Each dashboard run against the headless runs just before and after its round (load drifts).
        ref = (references[-2] + references[-1]) / 2
        for variant, speed in speeds.items():
            ratios[variant].append(speed / ref)

    print(f"config: {json.dumps(config)}   cores: {os.cpu_count()}   load avg (1 min): {os.getloadavg()[0]:.1f}")
    print("headless execute_run, median epoch of each bracketing run: "
          + ", ".join(f"{r:,.0f}" for r in references) + " samples/s")
    print()
    print(f"{'':<18} {'typing in a field (ms)':^26} {'moving the focus (ms)':^26}")
    print(f"{'mode':<18} {'keys':>5} {'p50':>6} {'p95':>6} {'max':>6} {'keys':>5} {'p50':>6} {'p95':>6} {'max':>6} "
          f"{'app CPU':>8} {'vs headless (each round)':>26}")
    for mode, typing in variants:
        label = mode if mode == "idle" else f"{mode}, {'typing' if typing else 'watching'}"
        cells = []
        for kind in ("type", "focus"):
            lat = latencies[mode, typing, kind]
            cells.append(f"{len(lat):>5} " + (f"{percentile(lat, 0.5):>6.0f} {percentile(lat, 0.95):>6.0f} {max(lat):>6.0f}"
                                              if lat else f"{'-':>6} {'-':>6} {'-':>6}"))
        rounds = ratios[mode, typing]
        speed = (f"{statistics.median(rounds):.1%} (" + ", ".join(f"{r:.0%}" for r in rounds) + ")") if rounds else "-"
        print(f"{label:<18} {cells[0]} {cells[1]} {statistics.median(cpu[mode, typing]):>8.0%} {speed:>26}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
