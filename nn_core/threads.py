"""The engine's BLAS thread count, chosen on purpose rather than left to the BLAS library.

The networks here are small (784-64-64-10): their matrix products take microseconds, so a
second BLAS thread saves little even on an idle machine (8% per epoch at batch 128, 28% at 256,
nothing at batch 4-32 on 2 cores), while the moment another thread or process wants a core
(the dashboard's UI thread, a second run, the user's browser) the BLAS threads wait for each
other and an epoch becomes 3-5x slower (`bench/bench_engine.py --tables threads` measures it;
the table is in README "Performance"). One thread is also what lets the flush-to-zero mode of
`nn_core.fpenv` cover every float operation, since it belongs to the calling thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numpy  # noqa: F401  (loads the BLAS library that the controller must find)
from threadpoolctl import ThreadpoolController

DEFAULT_BLAS_THREADS = 1
ENV_VAR = "MNIST_TUI_BLAS_THREADS"


class ThreadsError(ValueError):
    """A thread count that is not a positive whole number."""


@cache
def _controller() -> ThreadpoolController:
    # Scanning the loaded libraries takes milliseconds: do it once per process.
    return ThreadpoolController()


def engine_blas_threads() -> int:
    """The engine's BLAS thread count: $MNIST_TUI_BLAS_THREADS if set, else 1 (see module doc)."""
    raw = os.environ.get(ENV_VAR)
    if raw is None or raw.strip() == "":
        return DEFAULT_BLAS_THREADS
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ThreadsError(f"{ENV_VAR}: got {raw!r}, expected a whole number >= 1")
    return threads


def current_blas_threads() -> int:
    """The BLAS thread count in force now (the largest, if several BLAS libraries are loaded)."""
    pools = [pool.num_threads for pool in _controller().lib_controllers if pool.user_api == "blas"]
    return max(pools, default=1)


@contextmanager
def blas_threads(threads: int | None = None) -> Iterator[int]:
    """Run the block with `threads` BLAS threads (default: `engine_blas_threads()`), then restore.

    The limit is process-wide (BLAS libraries have no per-thread setting), so wrap the training
    work itself, not code that waits for the user. Yields the thread count applied.
    """
    if threads is None:
        threads = engine_blas_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ThreadsError(f"BLAS threads: got {threads!r}, expected a whole number >= 1")
    with _controller().limit(limits=threads, user_api="blas"):
        yield threads
