"""Drift of one binned feature: population stability index and a chi-square test, with
Holm's correction across the features compared in one batch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np

__all__ = ["holm", "homogeneity", "psi"]

SMOOTHING: Final = 0.5
"""Added to every bin's count before the index is taken (an empty bin would be infinite)."""


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index: sum over bins of (q - p) ln(q / p), shares smoothed."""
    k = len(reference)
    p = (reference + SMOOTHING) / (reference.sum() + SMOOTHING * k)
    q = (batch + SMOOTHING) / (batch.sum() + SMOOTHING * k)
    return float(np.sum((q - p) * np.log(q / p)))


def homogeneity(reference: np.ndarray, batch: np.ndarray) -> tuple[float, int, float] | None:
    """Chi-square test that reference and batch share one distribution over the bins:
    ``(statistic, degrees of freedom, p-value)``; None with fewer than two non-empty bins."""
    from scipy.stats import chi2_contingency

    table = np.vstack([reference, batch])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return None
    result = chi2_contingency(table, correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None; it is not counted)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(present)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def finite(value: float | None) -> float | None:
    """``value`` rounded for publishing, or None when not finite."""
    return round(value, 6) if value is not None and math.isfinite(value) else None
