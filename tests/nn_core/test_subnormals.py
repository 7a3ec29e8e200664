"""Flush-to-zero: decaying momentum must never leave subnormal float32 values behind."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import fpenv

TINY = np.finfo(np.float32).tiny


def subnormal_count(arrays) -> int:
    return sum(int(np.count_nonzero((a != 0) & (np.abs(a) < TINY))) for a in arrays)


def momentum_decay(steps: int) -> np.ndarray:
    """A velocity that got one gradient and then only zeros, as for an always-black border pixel."""
    velocity = np.full(1000, 1e-3, dtype=np.float32)
    velocity[::2] *= -1
    for _ in range(steps):
        velocity *= np.float32(0.9)
    return velocity


def test_flush_is_supported_here():
    # CI and developers run Linux on x86_64; if this fails the engine silently lost its fix.
    assert fpenv.flushing_supported()


def test_unflushed_momentum_decay_reaches_subnormals():
    """The trap itself: 780 steps of beta = 0.9 take 1e-3 below float32's smallest normal number."""
    assert not fpenv.subnormals_flushed()
    assert subnormal_count([momentum_decay(800)]) == 1000


def test_flushed_momentum_decay_goes_straight_to_zero():
    with fpenv.flush_subnormals() as flushed:
        assert flushed and fpenv.subnormals_flushed()
        velocity = momentum_decay(800)
        # Subnormal inputs count as zero too (DAZ): arithmetic on a stray one yields 0.
        assert np.float32(TINY / 4) * np.float32(1) == 0
    assert subnormal_count([velocity]) == 0
    assert not np.any(velocity)


def test_previous_mode_is_restored_after_errors_and_nesting():
    with pytest.raises(KeyError):
        with fpenv.flush_subnormals():
            with fpenv.flush_subnormals():
                pass
            assert fpenv.subnormals_flushed()  # the inner block restored "on", not "off"
            raise KeyError("boom")
    assert not fpenv.subnormals_flushed()
    assert np.float32(TINY) * np.float32(0.5) > 0
