"""`y <- alpha * x + beta * y` in one pass over memory, for the optimizers' element-wise updates.

NumPy needs two or three passes and often a temporary for the same update (y *= beta; y += alpha * x).
Adam and Nesterov do several such updates per layer per step over weight-sized arrays, so they call
the saxpby of NumPy's own OpenBLAS (the library nn_core.gemm already found) through ctypes. Where it
is missing, or for float64 (the gradient-check tests), the same result comes from NumPy calls.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
from threadpoolctl import threadpool_info

from nn_core.gemm import numpy_sgemm

_SYMBOLS = ("scipy_cblas_saxpby64_", "cblas_saxpby64_")


@cache
def numpy_saxpby():
    """cblas_saxpby(n, alpha, x, incx, beta, y, incy) of NumPy's OpenBLAS, or None if not found."""
    if numpy_sgemm() is None:
        return None
    for info in threadpool_info():
        if info["internal_api"] != "openblas":
            continue
        lib = ctypes.CDLL(info["filepath"])
        for name in _SYMBOLS:
            func = getattr(lib, name, None)
            if func is not None:
                i64, f32, ptr = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p
                func.argtypes = [i64, f32, ptr, i64, f32, ptr, i64]
                func.restype = None
                return func
    return None


def axpby(alpha: float, x: np.ndarray, beta: float, y: np.ndarray) -> None:
    """y <- alpha * x + beta * y, in place; x and y of one shape, C-contiguous."""
    func = numpy_saxpby() if x.dtype == y.dtype == np.float32 else None
    if func is None or not (x.flags.c_contiguous and y.flags.c_contiguous) or x.shape != y.shape:
        if beta == 0:  # y is not read, as BLAS does not read it (it may hold scratch values)
            np.multiply(x, alpha, out=y)
            return
        if beta != 1:
            y *= beta
        y += alpha * x
        return
    func(y.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)


def bound_axpby(x: np.ndarray, y: np.ndarray):
    """`f(alpha, beta)` doing y <- alpha * x + beta * y for these two arrays, their addresses looked
    up once and made ctypes values with the length: a ctypes address lookup costs about a
    microsecond, converting the arguments a further 0.15, which the per-batch optimizer updates at
    batch 32 notice. The arrays must stay where they are (the closure keeps them alive)."""
    func = numpy_saxpby() if x.dtype == y.dtype == np.float32 else None
    if func is None or not (x.flags.c_contiguous and y.flags.c_contiguous) or x.shape != y.shape:
        return lambda alpha, beta: axpby(alpha, x, beta, y)
    n, one = ctypes.c_int64(y.size), ctypes.c_int64(1)
    x_ptr, y_ptr = ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(y.ctypes.data)

    def bound(alpha: float, beta: float, _keep=(x, y)) -> None:
        func(n, alpha, x_ptr, one, beta, y_ptr, one)

    return bound
