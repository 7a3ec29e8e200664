"""The cost of recording layer statistics: epochs with and without them, at the default model.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_layer_stats.py [--repeats 5] [--epochs 2]

Trains the default network (784-64-10 relu, momentum, batch 32) on the default split (55,000
training images, 5,000 validation) `--epochs` epochs, alternately without and with a LayerStats
(same seed, so the same work), `--repeats` times each, and prints the median seconds per epoch
of both and their ratio. The issue's budget is a ratio of at most 1.03. Run it on an idle
machine: the two configurations alternate so a load change hits both alike, but noise of a few
percent swamps what is measured.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.loader import load_dataset  # noqa: E402
from data.splits import make_splits  # noqa: E402
from nn_core.config import ModelConfig, TrainConfig  # noqa: E402
from nn_core.layer_stats import LayerStats, probe_images  # noqa: E402
from nn_core.model import MLP  # noqa: E402
from nn_core.train import Trainer  # noqa: E402


def epoch_seconds(splits, epochs: int, with_stats: bool) -> float:
    model = MLP(ModelConfig(), 0)
    train, val = (splits.x_train, splits.y_train), (splits.x_val, splits.y_val)
    stats = LayerStats(model, probe_images(val, train)) if with_stats else None
    trainer = Trainer(model, TrainConfig(epochs=epochs), train, val, layer_stats=stats)
    started = time.perf_counter()
    records = list(trainer.run())
    assert len(records) == epochs and (records[-1].layers is not None) == with_stats
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="train on fewer images (a quick smoke run)")
    args = parser.parse_args()
    splits = make_splits(load_dataset("mnist"), limit=args.limit)
    without, with_ = [], []
    for _ in range(args.repeats):
        without.append(epoch_seconds(splits, args.epochs, False))
        with_.append(epoch_seconds(splits, args.epochs, True))
    base, stats = statistics.median(without), statistics.median(with_)
    print(f"{'':24}{'s/epoch':>10}")
    print(f"{'without layer stats':24}{base:10.3f}")
    print(f"{'with layer stats':24}{stats:10.3f}")
    print(f"ratio {stats / base:.3f} (budget 1.03), {args.repeats} repeats of {args.epochs} epochs, "
          f"{len(splits.y_train)} training images")


if __name__ == "__main__":
    main()
