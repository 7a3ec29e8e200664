"""Validation accuracy of each optimizer over a few learning rates and seeds: how the defaults were chosen.

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/lr_sweep.py
    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/lr_sweep.py --optimizers adam --lrs 0.001,0.003

Trains as `mnist-tui train --optimizer O --lr LR --seed S` does (55,000 train, 5,000 validation
drawn with the seed, cosine schedule) with a small network for a few epochs, and prints a Markdown
table of the final validation accuracy per seed and its mean. Only the validation set is used: the
test set is never looked at when choosing.
"""

from __future__ import annotations

import argparse
import statistics

from data.loader import load_dataset
from data.splits import make_splits
from nn_core.config import ModelConfig, TrainConfig
from nn_core.model import MLP
from nn_core.threads import blas_threads
from nn_core.train import Trainer

GRID = {
    "nesterov": (0.02, 0.05, 0.1),
    "adam": (0.0003, 0.001, 0.003),
    "adamw": (0.0003, 0.001, 0.003),
}


def val_accuracy(dataset, optimizer: str, lr: float, seed: int, epochs: int, hidden: tuple[int, ...]) -> float:
    splits = make_splits(dataset, val_size=5000, seed=seed)
    model = MLP(ModelConfig(hidden_sizes=hidden), seed)
    config = TrainConfig(optimizer=optimizer, learning_rate=lr, epochs=epochs, seed=seed)
    trainer = Trainer(model, config, (splits.x_train, splits.y_train), (splits.x_val, splits.y_val))
    records = list(trainer.run())
    return records[-1].val_acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizers", default=",".join(GRID))
    parser.add_argument("--lrs", help="comma-separated rates for every optimizer (default: a grid per optimizer)")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", default="64")
    args = parser.parse_args()
    dataset = load_dataset("mnist", download=False)
    seeds = [int(s) for s in args.seeds.split(",")]
    hidden = tuple(int(w) for w in args.hidden.split(","))
    print(f"784-{'-'.join(map(str, hidden))}-10 relu, {args.epochs} epochs, cosine, batch 32; "
          f"final validation accuracy, seeds {args.seeds}\n")
    print("| optimizer | lr | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |")
    print("|---|---|" + "---|" * (len(seeds) + 1))
    with blas_threads():
        for optimizer in args.optimizers.split(","):
            lrs = [float(x) for x in args.lrs.split(",")] if args.lrs else GRID[optimizer]
            for lr in lrs:
                accs = [val_accuracy(dataset, optimizer, lr, s, args.epochs, hidden) for s in seeds]
                cells = " | ".join(f"{a:.2%}" for a in accs)
                print(f"| {optimizer} | {lr:g} | {cells} | {statistics.mean(accs):.2%} |", flush=True)


if __name__ == "__main__":
    main()
