"""Welch's t-test with the standard library: is a difference between two sets of seeds more than noise?

Welch's test compares two means without assuming equal variances (seeds of different networks
spread differently). t = (mean1 - mean2) / sqrt(s1²/n1 + s2²/n2); its degrees of freedom come from
the Welch–Satterthwaite equation; the two-sided p value is P(|T| >= |t|) for Student's t with those
(fractional) degrees of freedom, which is the regularized incomplete beta function
I_{df/(df+t²)}(df/2, 1/2). The incomplete beta is evaluated with its continued fraction (modified
Lentz's method, as in Numerical Recipes §6.4), accurate to about 1e-12 here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import fmean, variance


@dataclass(frozen=True)
class WelchResult:
    t: float
    df: float
    p: float
    """Two-sided p value."""


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for 0 <= x <= 1 and a, b > 0."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x: got {x!r}, expected a number in [0, 1]")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def student_t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t distribution with `df` > 0 degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df: got {df!r}, expected a number > 0")
    if math.isinf(t):
        return 0.0
    return regularized_beta(df / (df + t * t), df / 2.0, 0.5)


def welch_t_test(a: list[float], b: list[float]) -> WelchResult | None:
    """Welch's t-test of mean(a) vs mean(b); None when either side has fewer than 2 values.

    Two sets without any spread: equal means give t = 0, p = 1; different means give an infinite t
    and p = 0 (a difference no seed moved).
    """
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = variance(a) / len(a), variance(b) / len(b)
    diff = fmean(a) - fmean(b)
    se2 = va + vb
    if se2 == 0.0:
        return WelchResult(0.0 if diff == 0 else math.copysign(math.inf, diff), float(len(a) + len(b) - 2),
                           1.0 if diff == 0 else 0.0)
    t = diff / math.sqrt(se2)
    df = se2 * se2 / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1))
    return WelchResult(t, df, student_t_two_sided_p(t, df))
