"""Data-layer speed and memory on the real MNIST, each measurement in a fresh child process.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_data.py [--repeats 5]

Prints two tables:
1. load time: cold (gzip decode + sha256 verify + write the array cache, empty cache) and warm
   (memory-map the cache) `load_dataset('mnist')`, next to the reference of a bare
   `gzip.open().read()` + `np.frombuffer` of the four files (no verification, no cache);
2. peak memory of a load (cold and warm) followed by `make_splits(normalization='normal')`: the
   growth of the resident set (ru_maxrss, includes touched pages of the mapped cache) and the
   tracemalloc peak (numpy allocations), against the size of the float32 arrays the splits must
   hold anyway, and against a naive float64 z-score of the same data.
Medians over --repeats child processes; every cold run gets its own empty cache folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(mode: str) -> dict:
    """Run inside the child: one measurement of `mode`, as a dict."""
    import resource
    import tracemalloc

    import numpy as np

    from data.loader import load_dataset
    from data.registry import get_spec
    from data.splits import make_splits, split_indices

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if mode.endswith("splits"):  # not while timing loads: tracing slows every allocation
        tracemalloc.start()
    start = time.perf_counter()
    if mode in ("cold", "warm"):
        dataset = load_dataset("mnist", download=False)
        assert dataset.train_images.shape == (60000, 28, 28)
    elif mode == "reference":
        import gzip

        folder = Path(os.environ["MNIST_TUI_DATA"]) / "mnist"
        arrays = [np.frombuffer(gzip.open(folder / f).read(), np.uint8) for f in get_spec("mnist").files.values()]
        assert sum(a.size for a in arrays) == 47040016 + 60008 + 7840016 + 10008
    elif mode in ("splits", "cold-splits"):
        splits = make_splits(load_dataset("mnist", download=False), normalization="normal")
        out_bytes = sum(a.nbytes for a in (splits.x_train, splits.x_val, splits.x_test,
                                           splits.y_train, splits.y_val, splits.y_test))
    elif mode == "naive-splits":
        dataset = load_dataset("mnist", download=False)
        train, val = split_indices(60000, 5000, None, 0)
        x = dataset.train_images[train].reshape(len(train), -1).astype(np.float64)
        mean, std = x.mean(), x.std()
        x_train = ((x - mean) / std).astype(np.float32)
        del x
        x_val = ((dataset.train_images[val].reshape(len(val), -1) - mean) / std).astype(np.float32)
        x_test = ((dataset.test_images.reshape(10000, -1) - mean) / std).astype(np.float32)
        out_bytes = x_train.nbytes + x_val.nbytes + x_test.nbytes
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base_rss
    result = {"seconds": seconds, "traced_peak": traced_peak, "rss_growth": rss_growth}
    if mode.endswith("splits"):
        result["output_bytes"] = out_bytes
    return result


def run_child(mode: str, cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run([sys.executable, __file__, "--child", mode], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    if "MNIST_TUI_DATA" not in os.environ:
        sys.exit("set MNIST_TUI_DATA to the folder holding mnist/ (e.g. ../shared/datasets)")
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        modes = ("reference", "cold", "warm", "cold-splits", "splits", "naive-splits")
        runs: dict[str, list[dict]] = {m: [] for m in modes}
        for i in range(args.repeats):
            for mode in modes:  # interleaved so machine noise hits all alike
                cache = Path(tmp) / (f"cold{i}" if mode == "cold-splits" else f"cache{i}")
                runs[mode].append(run_child(mode, cache))
    med = {m: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for m, rs in runs.items()}
    ref = med["reference"]["seconds"]
    print(f"MNIST load time (median of {args.repeats} fresh processes)")
    print(f"{'load':<34}{'ms':>10}{'x reference':>14}")
    for mode, label in (("reference", "reference: gzip read, no verify"),
                        ("cold", "cold: decode + sha256 + cache"),
                        ("warm", "warm: memory-map the cache")):
        print(f"{label:<34}{med[mode]['seconds'] * 1e3:>10.1f}{med[mode]['seconds'] / ref:>14.3f}")
    print()
    out = med["splits"]["output_bytes"]
    print("Peak memory of load + make_splits(normalization='normal') (MB = 1e6 bytes)")
    print(f"{'pipeline':<28}{'seconds':>9}{'rss growth':>12}{'traced peak':>13}{'output':>9}{'peak/output':>13}")
    for mode, label in (("cold-splits", "mnist-tui, cold load"), ("splits", "mnist-tui, warm load"),
                        ("naive-splits", "naive float64, warm load")):
        m = med[mode]
        print(f"{label:<28}{m['seconds']:>9.2f}{m['rss_growth'] / 1e6:>12.1f}{m['traced_peak'] / 1e6:>13.1f}"
              f"{m['output_bytes'] / 1e6:>9.1f}{m['traced_peak'] / m['output_bytes']:>13.2f}")
    print(f"\npeak ratio mnist-tui / naive: {med['splits']['traced_peak'] / med['naive-splits']['traced_peak']:.2f}"
          f"  (output arrays alone: {out / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
