"""FLOPs of one training step and the float32 matmul speed of the very same shapes.

Dividing an epoch's FLOPs by its time gives the rate the engine reached; dividing that by the
rate of the bare matrix products (timed here, same process, same BLAS threads) says how much
of the time goes to anything else (Python, element-wise work, memory traffic).
"""

from __future__ import annotations

import time

import numpy as np


def step_matmuls(batch: int, sizes: tuple[int, ...]) -> list[tuple[tuple[int, int], tuple[int, int], bool]]:
    """(left shape, right shape, left transposed) of each product in one forward+backward step.

    Forward `a @ W` per layer; backward `a.T @ delta` per layer and `delta @ W.T` for every
    layer but the first (the input needs no gradient).
    """
    products = []
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        products.append(((batch, fan_in), (fan_in, fan_out), False))
        products.append(((batch, fan_in), (batch, fan_out), True))
        if layer:
            products.append(((batch, fan_out), (fan_out, fan_in), False))
    return products


def step_flops(batch: int, sizes: tuple[int, ...]) -> int:
    """Multiply-adds counted as 2 FLOPs, for the products of `step_matmuls`."""
    total = 0
    for (rows, inner), (r_rows, r_cols), transposed in step_matmuls(batch, sizes):
        m, k, n = (inner, rows, r_cols) if transposed else (rows, inner, r_cols)
        total += 2 * m * k * n
    return total


def matmul_gflops(batch: int, sizes: tuple[int, ...], min_seconds: float = 0.3) -> float:
    """GFLOP/s of the step's products run back to back with preallocated outputs (best of 5)."""
    rng = np.random.default_rng(0)
    calls = []
    for left_shape, right_shape, transposed in step_matmuls(batch, sizes):
        left = rng.random(left_shape, dtype=np.float32)
        right = rng.random(right_shape, dtype=np.float32)
        a = left.T if transposed else left
        calls.append((a, right, np.empty((a.shape[0], right.shape[1]), np.float32)))
    flops = step_flops(batch, sizes)

    def run(repeats: int) -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            for a, b, out in calls:
                np.matmul(a, b, out=out)
        return time.perf_counter() - start

    repeats = 1
    while run(repeats) < min_seconds / 5:
        repeats *= 2
    return flops * repeats / min(run(repeats) for _ in range(5)) / 1e9
