"""Welch's t-test and the Student t distribution against published and closed-form values."""

from __future__ import annotations

import math

import pytest

from runs.stats import regularized_beta, student_t_two_sided_p, welch_t_test

# Wikipedia, "Welch's t-test", example 1: published t = -2.46, df = 25.0 (24.99), p = 0.021.
A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]


def test_welch_matches_the_published_example():
    result = welch_t_test(A1, A2)
    assert round(result.t, 2) == -2.46
    assert round(result.df, 1) == 25.0
    assert round(result.p, 3) == 0.021


def test_welch_is_symmetric_and_needs_two_values_a_side():
    forward, backward = welch_t_test(A1, A2), welch_t_test(A2, A1)
    assert backward.t == pytest.approx(-forward.t) and backward.p == pytest.approx(forward.p)
    assert welch_t_test([0.9], [0.8, 0.7]) is None


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 12.706, 40.0])
def test_student_t_matches_closed_forms_for_one_and_two_degrees_of_freedom(t):
    # df = 1 is the Cauchy distribution; df = 2 has the CDF 1/2 + t / (2 sqrt(2 + t^2)).
    assert student_t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-9)
    assert student_t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-9)


@pytest.mark.parametrize("df, critical", [(5, 2.571), (10, 2.228), (30, 2.042), (120, 1.980)])
def test_student_t_matches_the_printed_table_of_5_percent_critical_values(df, critical):
    assert student_t_two_sided_p(critical, df) == pytest.approx(0.05, abs=2e-4)


def test_regularized_beta_identities():
    assert regularized_beta(0.3, 1, 1) == pytest.approx(0.3)
    assert regularized_beta(0.3, 2.5, 4) == pytest.approx(1 - regularized_beta(0.7, 4, 2.5))
    with pytest.raises(ValueError):
        regularized_beta(1.5, 1, 1)


def test_seeds_without_spread_give_p_one_when_equal_and_zero_when_not():
    assert welch_t_test([0.9, 0.9], [0.9, 0.9]).p == 1.0
    assert welch_t_test([0.9, 0.9], [0.8, 0.8]).p == 0.0
