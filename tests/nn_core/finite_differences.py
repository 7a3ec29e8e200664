"""Central finite differences of an objective with respect to every entry of a model's parameters
(float64 models), the reference the analytic gradients are checked against."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numeric_gradients(params: list[np.ndarray], objective: Callable[[], float], eps: float = 1e-6) -> list[np.ndarray]:
    """(objective(p + eps) - objective(p - eps)) / 2 eps for each entry p of each array, changed in place and put back."""
    out = []
    for param in params:
        numeric = np.empty_like(param)
        for idx in np.ndindex(param.shape):
            keep = param[idx]
            param[idx] = keep + eps
            up = objective()
            param[idx] = keep - eps
            down = objective()
            param[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        out.append(numeric)
    return out


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """The largest difference, relative to the largest numeric gradient of the array."""
    return float(np.abs(analytic - numeric).max() / (np.abs(numeric).max() + 1e-12))
