"""Confidence intervals for rates (Wilson) and for differences of rates (Newcombe).

Vectorised over groups. Intervals use the unweighted counts behind each rate.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(
    successes: np.ndarray, trials: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``successes / trials``; NaN where ``trials`` is 0."""
    z = z_value(confidence)
    n = trials.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def newcombe(
    p1: float, lo1: float, hi1: float, p2: float, lo2: float, hi2: float
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``p1 - p2`` from the two Wilson intervals."""
    d = p1 - p2
    lower = d - float(np.sqrt((p1 - lo1) ** 2 + (hi2 - p2) ** 2))
    upper = d + float(np.sqrt((hi1 - p1) ** 2 + (p2 - lo2) ** 2))
    return max(lower, -1.0), min(upper, 1.0)


def ratio_bounds(
    p_min: float, lo_min: float, hi_min: float, p_max: float, lo_max: float, hi_max: float
) -> tuple[float, float]:
    """A conservative interval for ``p_min / p_max`` from the two Wilson intervals."""
    lower = lo_min / hi_max if hi_max > 0 else 0.0
    upper = hi_min / lo_max if lo_max > 0 else 1.0
    return max(lower, 0.0), min(upper, 1.0)
