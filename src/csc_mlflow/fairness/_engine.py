"""Disaggregated classification metrics from per-group confusion counts, in one pass.

Groups are integer codes; ``np.bincount`` over ``code * 4 + 2 * y_true + y_pred`` gives every
group's weighted true/false positives and negatives at once, and every metric is a ratio of
those counts. Names follow fairlearn's. An undefined rate (no positives for a true positive
rate, say) is NaN here; with ``undefined="zero"`` it is 0, as fairlearn and scikit-learn
report it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from csc_mlflow.fairness._intervals import wilson

RATE_METRICS: Final = {
    # metric: (numerator cells, denominator cells) over (tn, fp, fn, tp)
    "selection_rate": (("fp", "tp"), ("tn", "fp", "fn", "tp")),
    "base_rate": (("fn", "tp"), ("tn", "fp", "fn", "tp")),
    "true_positive_rate": (("tp",), ("fn", "tp")),
    "false_positive_rate": (("fp",), ("tn", "fp")),
    "false_negative_rate": (("fn",), ("fn", "tp")),
    "true_negative_rate": (("tn",), ("tn", "fp")),
    "precision": (("tp",), ("fp", "tp")),
    "accuracy": (("tn", "tp"), ("tn", "fp", "fn", "tp")),
}
_CELL: Final = {"tn": 0, "fp": 1, "fn": 2, "tp": 3}

Undefined = Literal["nan", "zero"]


@dataclass(frozen=True)
class GroupCounts:
    """Confusion counts per group: ``weighted[g, cell]`` and ``rows[g, cell]``."""

    labels: tuple[str, ...]
    weighted: np.ndarray
    rows: np.ndarray

    @property
    def n(self) -> np.ndarray:
        """Rows per group."""
        total: np.ndarray = self.rows.sum(axis=1)
        return total


@dataclass(frozen=True)
class MetricValues:
    """One metric across groups: value and interval per group."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


def roc_auc_by_group(
    codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_score: np.ndarray
) -> np.ndarray:
    """Per-group ROC AUC (Mann-Whitney, ties averaged); NaN where a group lacks a class."""
    import pandas as pd

    ranks = pd.Series(y_score).groupby(codes).rank(method="average").to_numpy()
    positives = np.bincount(codes, weights=y_true, minlength=n_groups)
    totals = np.bincount(codes, minlength=n_groups).astype(float)
    negatives = totals - positives
    rank_sum = np.bincount(codes, weights=ranks * y_true, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    result: np.ndarray = np.where((positives > 0) & (negatives > 0), auc, np.nan)
    return result


@functools.cache
def _selectors(metrics: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 matrices (4, metrics) picking each metric's numerator and denominator cells."""
    num = np.zeros((4, len(metrics)))
    den = np.zeros((4, len(metrics)))
    for j, metric in enumerate(metrics):
        numerator, denominator = RATE_METRICS[metric]
        num[[_CELL[c] for c in numerator], j] = 1
        den[[_CELL[c] for c in denominator], j] = 1
    num.flags.writeable = den.flags.writeable = False  # cached: shared by every call
    return num, den


def all_rates(
    counts: GroupCounts, metrics: tuple[str, ...], confidence: float, undefined: Undefined = "nan"
) -> Mapping[str, MetricValues]:
    """Every rate metric in ``metrics`` per group, all at once (two small matrix products)."""
    chosen = tuple(m for m in metrics if m in RATE_METRICS)
    if not chosen:
        return {}
    num, den = _selectors(chosen)
    num_w, den_w = counts.weighted @ num, counts.weighted @ den
    with np.errstate(invalid="ignore", divide="ignore"):
        value = num_w / den_w
    low, high = wilson(counts.rows @ num, counts.rows @ den, confidence)
    if undefined == "zero":
        value = np.where(den_w > 0, value, 0.0)
    return {m: MetricValues(value[:, j], low[:, j], high[:, j]) for j, m in enumerate(chosen)}
