"""Engine speed on real MNIST: nn_core vs PyTorch (CPU) vs a plain NumPy loop, in one process.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_engine.py            # full
    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_engine.py --quick    # smoke

Prints three tables:
1. speed: seconds per 55,000-sample epoch of 784-64-64-10 ReLU + momentum SGD per batch size
   (medians over --repeats, engines interleaved so machine noise hits all alike), the ratio
   nn_core / torch (torch at whichever of 1 or 2 threads was faster), peak memory (growth of the
   resident set during training, measured in a fresh child process per cell), and the share of
   the float32 matmul peak of the same shapes (timed in this process, at nn_core's threads);
2. threads: nn_core with 1 and 2 BLAS threads, on an idle machine and next to a busy core;
3. subnormals: nn_core at batch 4 over several epochs, its flush-to-zero off and on;
4. options: nn_core's epoch with Adam, Nesterov, dropout and augmentation against the same epoch
   with momentum (ratios within one run, variants interleaved), against issue 10's targets.
With --batches N every epoch is cut to N batches and its time scaled to the full epoch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import ENGINES, Workload, set_nn_core_threads, set_torch_threads, torch_available  # noqa: E402
from machine import busy_core, peak_rss_growth  # noqa: E402
from matmul_peak import matmul_gflops, step_flops  # noqa: E402
from mnist_arrays import TRAIN_SIZE, load_train  # noqa: E402

from nn_core import fpenv, threads  # noqa: E402

TARGETS = {4: 0.25, 32: 0.45, 128: 0.75, 256: 0.75}
OPTION_VARIANTS = {
    "momentum (reference)": ({}, None),
    "nesterov": ({"optimizer": "nesterov"}, None),
    "adam": ({"optimizer": "adam", "lr": 0.003}, 1.25),
    "adamw": ({"optimizer": "adamw", "lr": 0.003}, None),
    "dropout 0.2": ({"dropout": (0.2,)}, 1.20),
    "augment shift=2": ({"augment_shift": 2}, 1.30),
    "augment shift=2,rotate=10": ({"augment_shift": 2, "augment_rotate": 10.0}, 1.30),
}
"""Variant -> (Workload changes, target ratio to momentum's epoch or None)."""
PEAK_SHARE_TARGET = 0.60


def epoch_seconds(engine: str, work: Workload, x: np.ndarray, y: np.ndarray, batches: int | None):
    """(seconds scaled to a full epoch, mean training loss) of one fresh model's first epoch."""
    full = len(x) // work.batch_size
    used = full if batches is None else min(batches, full)
    trainer = ENGINES[engine](work)
    xs, ys = x[: used * work.batch_size], y[: used * work.batch_size]
    if hasattr(trainer, "prepare"):  # per-run set-up, not part of an epoch (engines.NnCore.prepare)
        trainer.prepare(xs, ys)
    start = time.perf_counter()
    loss = trainer.train_epoch(xs, ys)
    seconds = (time.perf_counter() - start) * full / used
    print(f"  {engine} batch {work.batch_size}: {seconds:.3f} s/epoch", file=sys.stderr, flush=True)
    return seconds, loss


def warm_up(engines: list[str], x: np.ndarray, y: np.ndarray) -> None:
    """A few batches per engine first, so one-time costs (lazy library set-up) are not timed."""
    for engine in engines:
        ENGINES[engine](Workload(batch_size=32)).train_epoch(x[:640], y[:640])


def speed_table(args, x, y) -> list[dict]:
    engines = [e for e in args.engines if e != "torch"]
    torch_threads = [1, 2] if "torch" in args.engines else []
    times: dict = {}
    losses: dict = {}
    warm_up(args.engines, x, y)
    for _ in range(args.repeats):
        for batch in args.batch_sizes:
            work = Workload(batch_size=batch)
            for engine in engines:
                t, loss = epoch_seconds(engine, work, x, y, args.batches)
                times.setdefault((engine, batch), []).append(t)
                losses[(engine, batch)] = loss
            for n in torch_threads:
                set_torch_threads(n)
                print(f"  torch threads {n}:", file=sys.stderr, end="")
                t, loss = epoch_seconds("torch", work, x, y, args.batches)
                times.setdefault((f"torch{n}", batch), []).append(t)
                losses[("torch", batch)] = loss
    rows = []
    for batch in args.batch_sizes:
        row = {"batch": batch}
        for engine in engines:
            row[engine] = statistics.median(times[(engine, batch)])
            row[f"{engine} loss"] = losses[(engine, batch)]
        if torch_threads:
            best = min(torch_threads, key=lambda n: statistics.median(times[(f"torch{n}", batch)]))
            row["torch"] = statistics.median(times[(f"torch{best}", batch)])
            row["torch threads"] = best
            row["torch loss"] = losses[("torch", batch)]
            for n in torch_threads:
                row[f"torch {n}t"] = statistics.median(times[(f"torch{n}", batch)])
        with threads.blas_threads():
            row["peak gflops"] = matmul_gflops(batch, Workload().sizes)
        row["flops"] = step_flops(batch, Workload().sizes) * (TRAIN_SIZE // batch)
        if not args.no_memory:
            for engine in args.engines:
                row[f"{engine} mib"] = memory_in_child(engine, batch, args)
        rows.append(row)
    return rows


def memory_in_child(engine: str, batch: int, args) -> float:
    """Peak RSS growth of one training epoch (or --batches of it), in a fresh interpreter."""
    cmd = [sys.executable, __file__, "--probe-memory", engine, str(batch)]
    if args.batches is not None:
        cmd += ["--batches", str(args.batches)]
    if args.limit is not None:
        cmd += ["--limit", str(args.limit)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["mib"]


def probe_memory(engine: str, batch: int, args) -> None:
    x, y = load_train(args.limit)
    work = Workload(batch_size=batch)
    trainer = ENGINES[engine](work)
    used = (len(x) // batch if args.batches is None else min(args.batches, len(x) // batch)) * batch
    with peak_rss_growth() as growth:
        trainer.train_epoch(x[:used], y[:used])
    print(json.dumps({"mib": growth["mib"]}))


def thread_table(args, x, y) -> list[dict]:
    engine = "nn_core" if "nn_core" in args.engines else "numpy"
    rows = {batch: {"batch": batch, "engine": engine} for batch in args.batch_sizes}
    warm_up([engine], x, y)
    for busy in (False, True):
        with busy_core(busy):
            for _ in range(args.repeats):
                for batch in args.batch_sizes:
                    for n in (1, 2):
                        set_nn_core_threads(n)
                        t, _ = epoch_seconds(engine, Workload(batch_size=batch), x, y, args.batches)
                        rows[batch].setdefault((busy, n), []).append(t)
    set_nn_core_threads(None)
    for row in rows.values():
        for key in [k for k in row if isinstance(k, tuple)]:
            row[key] = statistics.median(row[key])
    return list(rows.values())


def subnormal_table(args, x, y) -> list[dict]:
    """nn_core at batch 4 for several epochs with its flush-to-zero off and on (alternating runs, medians)."""
    import nn_core.train
    from nn_core.config import ModelConfig, TrainConfig
    from nn_core.model import MLP

    used = min(args.batches or len(x) // 4, len(x) // 4) * 4
    config = TrainConfig(optimizer="momentum", learning_rate=0.01, batch_size=4,
                         epochs=args.subnormal_epochs, schedule="constant")
    cells: dict = {}
    for _ in range(args.repeats):
        for flush in (False, True):
            model = MLP(ModelConfig(hidden_sizes=Workload().sizes[1:-1]), 0)
            trainer = nn_core.train.Trainer(model, config, train=(x[:used], y[:used]))
            saved = nn_core.train.flush_subnormals
            nn_core.train.flush_subnormals = saved if flush else nullcontext
            try:
                for record in trainer.run():
                    cell = cells.setdefault((flush, record.epoch), {"seconds": []})
                    cell["seconds"].append(record.seconds * len(x) / used)
                    cell["subnormals"] = count_subnormals(model.params + trainer.optimizer.state())
            finally:
                nn_core.train.flush_subnormals = saved
    return [{"flush": flush, "epoch": epoch, "seconds": statistics.median(cell["seconds"]),
             "subnormals": cell["subnormals"]} for (flush, epoch), cell in sorted(cells.items())]


def options_table(args, x, y) -> list[dict]:
    """Seconds per epoch of each OPTION_VARIANTS entry, interleaved per repeat, medians; ratio to momentum."""
    from dataclasses import replace

    warm_up(["nn_core"], x, y)
    rows = []
    for batch in args.option_batch_sizes:
        times: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            for name, (changes, _) in OPTION_VARIANTS.items():
                work = replace(Workload(batch_size=batch), **changes)
                times.setdefault(name, []).append(epoch_seconds("nn_core", work, x, y, args.batches)[0])
        reference = statistics.median(times["momentum (reference)"])
        for name, (_, target) in OPTION_VARIANTS.items():
            seconds = statistics.median(times[name])
            rows.append({"batch": batch, "variant": name, "seconds": seconds, "ratio": seconds / reference,
                         "target": target})
    return rows


def count_subnormals(arrays) -> int:
    tiny = np.finfo(np.float32).tiny
    return sum(int(np.count_nonzero((a != 0) & (np.abs(a) < tiny))) for a in arrays)


def print_speed(rows: list[dict], engines: list[str]) -> None:
    has_torch = "torch" in rows[0]
    print("\n## Speed: 784-64-64-10 ReLU, momentum SGD, one 55,000-sample epoch (median seconds)\n")
    head = ["batch"] + [f"{e} s" for e in engines if e != "torch"]
    if has_torch:
        head += ["torch s (threads)", "nn_core/torch", "target"] if "nn_core" in engines else ["torch s (threads)"]
        head += ["numpy/torch"] if "numpy" in engines else []
    if "nn_core" in engines:
        head += ["GFLOP/s", "matmul peak", "share"]
    head += [f"{e} peak MiB" for e in engines if f"{e} mib" in rows[0]]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        cells = [str(row["batch"])] + [f"{row[e]:.3f}" for e in engines if e != "torch"]
        if has_torch:
            cells.append(f"{row['torch']:.3f} ({row['torch threads']})")
            if "nn_core" in engines:
                ratio = row["nn_core"] / row["torch"]
                goal = TARGETS.get(row["batch"])
                mark = "" if goal is None else (" ok" if ratio <= goal else " MISSED")
                cells += [f"{ratio:.2f}", f"<= {goal}{mark}" if goal else "-"]
            if "numpy" in engines:
                cells.append(f"{row['numpy'] / row['torch']:.2f}")
        if "nn_core" in engines:
            rate = row["flops"] / row["nn_core"] / 1e9
            share = rate / row["peak gflops"]
            cells += [f"{rate:.1f}", f"{row['peak gflops']:.1f}", f"{share:.0%}"]
        cells += [f"{row[f'{e} mib']:.1f}" for e in engines if f"{e} mib" in row]
        print("| " + " | ".join(cells) + " |")
    if has_torch:
        detail = ", ".join(f"b{r['batch']}: 1t {r['torch 1t']:.3f} s / 2t {r['torch 2t']:.3f} s" for r in rows)
        print(f"\ntorch at 1 and 2 threads: {detail}")
    losses = ", ".join(f"{e} {rows[-1][f'{e} loss']:.3f}" for e in engines if f"{e} loss" in rows[-1])
    print(f"mean training loss of the epoch at batch {rows[-1]['batch']} (chance is ln 10 = 2.30; "
          f"the engines' initialisations differ): {losses}")
    print(f"matmul peak = the step's float32 products alone, at nn_core's {threads.engine_blas_threads()} "
          "BLAS thread(s); share = (epoch FLOPs / epoch time) / peak")


def print_threads(rows: list[dict]) -> None:
    print(f"\n## BLAS threads: {rows[0]['engine']} seconds per epoch (median), idle vs one busy core\n")
    print("| batch | idle 1 thread | idle 2 threads | busy 1 thread | busy 2 threads | 2t/1t idle | 2t/1t busy |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['batch']} | {r[(False, 1)]:.3f} | {r[(False, 2)]:.3f} | {r[(True, 1)]:.3f} | "
              f"{r[(True, 2)]:.3f} | {r[(False, 2)] / r[(False, 1)]:.2f} | {r[(True, 2)] / r[(True, 1)]:.2f} |")


def print_subnormals(rows: list[dict]) -> None:
    print("\n## Subnormals: nn_core, batch 4, lr 0.01, momentum 0.9, consecutive epochs, flush-to-zero off/on\n")
    print("| flush-to-zero | epoch | seconds | subnormal values in weights + momentum |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {'on' if r['flush'] else 'off'} | {r['epoch']} | {r['seconds']:.3f} | {r['subnormals']} |")


def print_options(rows: list[dict]) -> None:
    print("\n## Training options: nn_core, 784-64-64-10 ReLU, one epoch (median seconds), ratio to momentum\n")
    print("| batch | variant | seconds | ratio | target |")
    print("|---|---|---|---|---|")
    for r in rows:
        goal = "-" if r["target"] is None else f"<= {r['target']:.2f}" + (" ok" if r["ratio"] <= r["target"] else " MISSED")
        print(f"| {r['batch']} | {r['variant']} | {r['seconds']:.3f} | {r['ratio']:.2f} | {goal} |")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 200 batches per epoch, 1 repeat, 2 subnormal epochs")
    parser.add_argument("--batch-sizes", type=lambda s: [int(v) for v in s.split(",")], default=[4, 32, 128, 256])
    parser.add_argument("--engines", type=lambda s: s.split(","), default=None,
                        help="comma list of nn_core,torch,numpy (default: all available)")
    parser.add_argument("--tables", type=lambda s: s.split(","), default=["speed", "threads", "subnormals", "options"])
    parser.add_argument("--option-batch-sizes", type=lambda s: [int(v) for v in s.split(",")], default=[32],
                        help="batch sizes of the options table (default 32, the issue's targets)")
    parser.add_argument("--batches", type=int, default=None, help="cut each epoch to N batches, scale the time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N samples only")
    parser.add_argument("--subnormal-epochs", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the per-cell memory children")
    parser.add_argument("--probe-memory", nargs=2, metavar=("ENGINE", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.batches = args.batches or 200
        args.repeats = 1
        args.subnormal_epochs = 2
    if args.engines is None:
        args.engines = ["nn_core", "torch", "numpy"] if torch_available() else ["nn_core", "numpy"]
    unknown = sorted(set(args.engines) - set(ENGINES))
    if unknown:
        parser.error(f"--engines: unknown {unknown[0]!r}, expected some of {', '.join(ENGINES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe_memory:
        probe_memory(args.probe_memory[0], int(args.probe_memory[1]), args)
        return 0
    x, y = load_train(args.limit)
    scaled = f", epochs cut to {args.batches} batches and scaled" if args.batches else ""
    print(f"# bench_engine: {len(x)} MNIST training samples{scaled}, {args.repeats} repeat(s), "
          f"nn_core BLAS threads {threads.engine_blas_threads()}, flush-to-zero "
          f"{'available' if fpenv.flushing_supported() else 'unavailable'}")
    if "speed" in args.tables:
        print_speed(speed_table(args, x, y), args.engines)
    if "threads" in args.tables:
        print_threads(thread_table(args, x, y))
    if "subnormals" in args.tables:
        print_subnormals(subnormal_table(args, x, y))
    if "options" in args.tables:
        print_options(options_table(args, x, y))
    return 0


if __name__ == "__main__":
    sys.exit(main())
