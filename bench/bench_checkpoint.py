"""The per-epoch checkpoint's cost against an epoch, at the default model (issue 10: at most 2%).

    MNIST_TUI_DATA=../shared/datasets .venv/bin/python bench/bench_checkpoint.py [--repeats 5]

One full-MNIST epoch of the default run (784-64-10 ReLU, momentum, batch 32) and the checkpoint
written after it (runs.service: the model file with the last and best weights, the optimizer state
and the generator states, renamed into place, no fsync), each timed --repeats times in this
process; medians and their ratio are printed, with the file's size and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mnist_arrays import load_train  # noqa: E402

from nn_core.config import ModelConfig, TrainConfig  # noqa: E402
from nn_core.model import MLP  # noqa: E402
from nn_core.model_io import save_model  # noqa: E402
from nn_core.train import Trainer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    x, y = load_train()
    config = TrainConfig(epochs=args.repeats)
    model = MLP(ModelConfig(), seed=config.seed)
    trainer = Trainer(model, config, train=(x[5000:], y[5000:]), val=(x[:5000], y[:5000]))
    epochs, writes = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "1.npz"
        for record in trainer.run():
            epochs.append(record.seconds)
            started = time.perf_counter()
            save_model(path, model, normalization=None, metadata={"run_id": 1}, checkpoint=trainer.state(),
                       durable=False)
            writes.append(time.perf_counter() - started)
        size = path.stat().st_size
    epoch, write = statistics.median(epochs), statistics.median(writes)
    print(f"default model {ModelConfig().describe()}, {config.optimizer}, batch {config.batch_size}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"epoch {epoch:.3f} s · checkpoint {write * 1e3:.2f} ms ({size / 1e3:.0f} kB) · "
          f"{write / epoch:.2%} of an epoch (target <= 2%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
