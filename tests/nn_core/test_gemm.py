"""The one-call `c <- alpha * a.T @ b + beta * c` against NumPy, on its BLAS path and its fallback."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.gemm import AtB, numpy_sgemm


def _arrays(dtype, k=5, m=7, n=3, seed=0):
    rng = np.random.default_rng(seed)
    wide = rng.standard_normal((k, m + 1)).astype(dtype)
    a = wide[:, :m]  # rows padded, as a batch slice of [x, 1] can be
    return a, rng.standard_normal((k, n)).astype(dtype), rng.standard_normal((m, n)).astype(dtype)


def test_numpy_openblas_sgemm_is_found():
    # The fast path must really run here (CI and developers use NumPy's wheels).
    assert numpy_sgemm() is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (1.0, 0.9), (-1.0, 1.0), (0.5, 0.25)])
def test_matches_numpy(dtype, alpha, beta):
    a, b, c = _arrays(dtype)
    expected = alpha * (a.astype(np.float64).T @ b) + beta * c
    plan = AtB(a, b, c)
    assert (plan.sgemm is not None) == (dtype == np.float32)
    plan(a, alpha, beta)
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5)


def test_a_can_be_replaced_between_calls():
    a, b, c = _arrays(np.float32)
    other = np.ascontiguousarray(a[::-1])
    plan = AtB(a, b, c)
    plan(other, 1.0, 0.0)
    np.testing.assert_allclose(c, other.T @ b, rtol=1e-5, atol=1e-6)
    plan(a, 1.0, 0.0)
    np.testing.assert_allclose(c, a.T @ b, rtol=1e-5, atol=1e-6)


def test_bad_layout_is_refused_before_blas_sees_it():
    a, b, c = _arrays(np.float32)
    with pytest.raises(ValueError, match="c: got float32 \\(7, 3\\) strides \\(4, 28\\)"):
        AtB(a, b, np.ascontiguousarray(c.T).T)  # column-major c: BLAS would write the wrong cells
    plan = AtB(a, b, c)
    with pytest.raises(ValueError, match="expected float32 \\(5, 7\\)"):
        plan(a[:4], 1.0, 0.0)
