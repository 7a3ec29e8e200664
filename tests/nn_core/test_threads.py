"""The engine's deliberate BLAS thread count: applied inside the block, restored after, bad values refused."""

from __future__ import annotations

import pytest

from nn_core import threads


def test_limit_applies_inside_and_restores_previous():
    with threads.blas_threads(2):
        assert threads.current_blas_threads() == 2
        with threads.blas_threads(1) as applied:
            assert applied == 1
            assert threads.current_blas_threads() == 1
        assert threads.current_blas_threads() == 2


def test_default_is_one_thread(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    with threads.blas_threads(2), threads.blas_threads() as applied:
        assert applied == 1
        assert threads.current_blas_threads() == 1


def test_environment_overrides_default(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "2")
    with threads.blas_threads() as applied:
        assert applied == 2
        assert threads.current_blas_threads() == 2


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5"])
def test_bad_environment_value_is_named(monkeypatch, raw):
    monkeypatch.setenv(threads.ENV_VAR, raw)
    with pytest.raises(threads.ThreadsError) as err:
        threads.engine_blas_threads()
    assert threads.ENV_VAR in str(err.value) and repr(raw) in str(err.value)


@pytest.mark.parametrize("bad", [0, -3, 1.0, "1", True])
def test_bad_argument_is_refused(bad):
    with pytest.raises(threads.ThreadsError, match="expected a whole number >= 1"):
        with threads.blas_threads(bad):
            pass
