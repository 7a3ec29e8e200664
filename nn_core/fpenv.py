"""Flush-to-zero for the training thread, so decaying momentum never becomes subnormal floats.

Momentum buffers of weights fed by almost-always-zero border pixels shrink by `beta` every step
and end up as subnormal float32 numbers (below `np.finfo(np.float32).tiny`), which many CPUs
process tens of times slower than normal ones. NumPy has no switch for this, so we set the
CPU's own flush-to-zero mode through the C library's `fegetenv`/`fesetenv` (glibc or musl):

- x86_64: the SSE control register MXCSR (last field of `fenv_t`), bits FTZ (results) and
  DAZ (inputs) — the same bits `-ffast-math` programs and `torch.set_flush_denormal` set;
- aarch64: the FZ bit of FPCR (first field of `fenv_t`).

The mode belongs to the calling thread only (threads it starts later inherit it, as POSIX
says); BLAS worker threads that already exist keep theirs, which is one more reason the engine
runs its BLAS on the calling thread (`nn_core.threads`). Setting it costs two C calls per
`with` block, nothing per step. Where the platform is not one of the above, or the switch does
not verifiably take effect, the context manager changes nothing and `flushing_supported()`
says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numpy as np

# fenv_t viewed as 32-bit words: (size in words, index of the control word, bits that flush).
_LAYOUTS = {
    ("Linux", "x86_64"): (8, 7, (1 << 15) | (1 << 6)),  # MXCSR FTZ | DAZ
    ("Linux", "aarch64"): (2, 0, 1 << 24),  # FPCR FZ
}

_TINY = np.finfo(np.float32).tiny


@cache
def _libm() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("m")
    if name is None or (platform.system(), platform.machine()) not in _LAYOUTS:
        return None
    return ctypes.CDLL(name)


def _get_env() -> ctypes.Array:
    words, _, _ = _LAYOUTS[(platform.system(), platform.machine())]
    env = (ctypes.c_uint32 * words)()
    if _libm().fegetenv(env) != 0:
        raise OSError("fegetenv failed")
    return env


def _set_env(env: ctypes.Array) -> None:
    if _libm().fesetenv(env) != 0:
        raise OSError("fesetenv failed")


def subnormals_flushed() -> bool:
    """True if float32 results below `tiny` become zero on the calling thread right now."""
    half_tiny = np.multiply(np.float32(_TINY), np.float32(0.5))
    return bool(half_tiny == 0)


@cache
def flushing_supported() -> bool:
    """True if `flush_subnormals()` can switch flush-to-zero on for this platform."""
    if _libm() is None:
        return False
    with _flush() as flushed:
        return flushed


@contextmanager
def _flush() -> Iterator[bool]:
    _, index, bits = _LAYOUTS[(platform.system(), platform.machine())]
    saved = _get_env()
    env = _get_env()
    env[index] |= bits
    _set_env(env)
    try:
        yield subnormals_flushed()
    finally:
        _set_env(saved)


@contextmanager
def flush_subnormals() -> Iterator[bool]:
    """Within the block, float32 subnormal inputs and results count as zero on this thread.

    Yields whether flushing is in effect (False on unsupported platforms, where nothing changes).
    The thread's previous floating-point environment is restored on exit, also after an error.
    """
    if not flushing_supported():
        yield False
        return
    with _flush() as flushed:
        yield flushed
