"""`c <- alpha * a.T @ b + beta * c` in one BLAS call, for gradient steps without weight-size temporaries.

NumPy's `matmul` can only overwrite its output, so a momentum update costs four passes over the
weight-sized arrays (write the gradient, u *= beta, u += g, W -= u). BLAS's sgemm takes `beta`
and accumulates into its output, which leaves two (sgemm into u, W -= u) and, at batch size 4,
saves about an eighth of a training step (57.6 -> 50.7 us). We call the sgemm of the OpenBLAS that NumPy itself
loaded (its wheels ship `scipy_openblas64_`), through ctypes with the pointers worked out once
per plan: SciPy's wrapper would add a dependency and bring an older, slower OpenBLAS. Where that
library is not found (another NumPy build), or for float64, a plan falls back to NumPy calls
with the same result.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# Symbol names of NumPy wheels' OpenBLAS builds, all with 64-bit integers.
_SYMBOLS = ("scipy_cblas_sgemm64_", "cblas_sgemm64_")


@cache
def numpy_sgemm():
    """The cblas_sgemm of NumPy's own OpenBLAS as a ctypes function, or None if not found."""
    numpy_dir = Path(np.__file__).resolve().parent
    for info in threadpool_info():
        path = Path(info["filepath"]).resolve()
        # numpy.libs/ (Linux, Windows) or numpy/.dylibs/ (macOS): both start with NumPy's folder name.
        if info["internal_api"] != "openblas" or not str(path).startswith(str(numpy_dir)):
            continue
        lib = ctypes.CDLL(str(path))
        for name in _SYMBOLS:
            func = getattr(lib, name, None)
            if func is not None:
                i64, f32, ptr = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p
                func.argtypes = [ctypes.c_int] * 3 + [i64] * 3 + [f32, ptr, i64, ptr, i64, f32, ptr, i64]
                func.restype = None
                return func
    return None


def _pointer(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _row_major(name: str, array: np.ndarray, shape: tuple[int, int]) -> int:
    """Leading dimension of a float32 matrix whose rows are contiguous (the only layout we pass)."""
    if array.dtype != np.float32 or array.shape != shape or array.strides[1] != 4 or array.strides[0] % 4:
        raise ValueError(f"{name}: got {array.dtype} {array.shape} strides {array.strides}, "
                         f"expected float32 {shape} with contiguous rows")
    return array.strides[0] // 4


class AtB:
    """A prepared `c <- alpha * a.T @ b + beta * c` for arrays a (k, m), b (k, n), c (m, n).

    `b` and `c` are fixed (a model's delta and gradient/velocity buffers); `a` may be replaced
    by another array of the same shape at call time (the next batch), at the cost of re-reading
    its address. The arrays must stay alive as long as the plan (the plan keeps them).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
        self.a, self.b, self.c = a, b, c
        self.sgemm = numpy_sgemm() if a.dtype == b.dtype == c.dtype == np.float32 else None
        if self.sgemm is None:
            return
        k, m = a.shape
        n = b.shape[1]
        self._lda = _row_major("a", a, (k, m))
        self._args = (_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k)
        self._b_part = (_pointer(b), _row_major("b", b, (k, n)))
        self._c_part = (_pointer(c), _row_major("c", c, (m, n)))
        self._a_ptr = _pointer(a)

    def __call__(self, a: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> None:
        if self.sgemm is None:
            self._numpy(a, alpha, beta)
            return
        if a is not self.a:
            self._lda = _row_major("a", a, self.a.shape)
            self.a, self._a_ptr = a, _pointer(a)
        self.sgemm(*self._args, alpha, self._a_ptr, self._lda, *self._b_part, beta, *self._c_part)

    def _numpy(self, a: np.ndarray, alpha: float, beta: float) -> None:
        if beta == 0:
            np.matmul(a.T, self.b, out=self.c)
            if alpha != 1:
                self.c *= alpha
        else:
            product = a.T @ self.b
            if alpha != 1:
                product *= alpha
            if beta != 1:
                self.c *= beta
            self.c += product
