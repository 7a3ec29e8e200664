"""How long a trial's epoch takes, estimated before it runs: for a study's ETA and its time estimate.

A linear model of the engine's cost, fitted to epochs measured on the development machine (2 cores,
one BLAS thread per process, batch 32, `make_splits` of full MNIST):

    784-10: 0.094 s   784-64-10: 0.198 s   784-64-64-10: 0.236 s   784-256-128-10: 0.715 s

seconds = PER_BATCH_S x batches + (train images + evaluated images / 3) x (PER_IMAGE_S +
PER_WEIGHT_IMAGE_S x weights), where evaluation (validation and test passes, forward only) costs
about a third of a training image. It reproduces the four measurements within 5%. Each trial also
costs PER_TRIAL_S outside its epochs (its splits of the data, the final evaluation, the model file):
0.75-1.7 s were measured for `make_splits` of full MNIST at load average 7.5 on the 2 cores, so about
0.3 s on an idle machine is assumed — an estimate, not a measurement. While a study
runs, the runner scales these estimates by the ratio of measured to estimated epoch times, so the
ETA adapts to the machine it actually runs on.
"""

from __future__ import annotations

import math

from runs.config import TRAIN_IMAGES, RunConfig

PER_BATCH_S = 3.4e-5
PER_IMAGE_S = 0.2e-6
PER_WEIGHT_IMAGE_S = 4.5e-11
PER_TRIAL_S = 0.3
TEST_IMAGES = 10000


def seconds_per_epoch(config: RunConfig) -> float:
    sizes = config.model.layer_sizes
    weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    train = config.data.limit or (TRAIN_IMAGES - config.data.val_size)
    evaluated = config.data.val_size + TEST_IMAGES
    batches = math.ceil(train / config.train.batch_size)
    return PER_BATCH_S * batches + (train + evaluated / 3) * (PER_IMAGE_S + PER_WEIGHT_IMAGE_S * weights)


def study_seconds(configs: list[RunConfig], workers: int) -> float:
    """Wall time of running `configs` on `workers` parallel workers (total work / workers)."""
    return sum(trial_seconds(c) for c in configs) / max(1, workers)


def trial_seconds(config: RunConfig) -> float:
    return seconds_per_epoch(config) * config.train.epochs + PER_TRIAL_S
