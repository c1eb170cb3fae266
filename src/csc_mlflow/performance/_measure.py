"""How well a classifier does on children it was not built on: shares with Wilson intervals,
judged against the policy's bounds, counts as they may be published.

Each measure is a share of children (accuracy of all, recall of those with the outcome,
precision of those flagged, specificity of those without it). From the shares and the number
of children the four cells of the confusion matrix can be worked out, so when any cell holds
1 to the suppression limit (5) every share is withheld and every bound on it is
inconclusive: nothing published lets a small count be recovered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import sqrt
from statistics import NormalDist
from typing import Any, Final

import numpy as np

from csc_mlflow._evidence import (
    EstimateRecord,
    PerformanceMetric,
    PerformancePayload,
    PerformanceThreshold,
)
from csc_mlflow._policy import PERFORMANCE_METRICS, PerformancePolicy
from csc_mlflow.exceptions import UsageError

__all__ = ["Confusion", "confusion", "confusion_from_metrics", "measure_performance", "wilson"]

_PLACES: Final = 6


@dataclass(frozen=True)
class Confusion:
    """The four cells: true and false positives, true and false negatives."""

    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def count(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def share(self, metric: str) -> tuple[int, int]:
        """``(children counted, children it is a share of)`` for ``metric``."""
        return {
            "accuracy": (self.tp + self.tn, self.count),
            "recall": (self.tp, self.tp + self.fn),
            "precision": (self.tp, self.tp + self.fp),
            "specificity": (self.tn, self.tn + self.fp),
        }[metric]


def _binary(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise UsageError(f"{what}: expected one value per child (1-D); found shape {array.shape}")
    if array.dtype == bool:
        return np.asarray(array, dtype=bool)
    try:
        numeric = array.astype(float)
    except (TypeError, ValueError):
        raise UsageError(f"{what}: expected 0/1 or True/False for each child") from None
    if np.isnan(numeric).any():
        raise UsageError(f"{what}: holds missing values; give 0 or 1 for every child")
    if not np.isin(numeric, (0.0, 1.0)).all():
        raise UsageError(f"{what}: expected 0/1 or True/False; found other values")
    return np.asarray(numeric == 1.0, dtype=bool)


def confusion(y_true: Any, y_pred: Any) -> Confusion:
    """The confusion matrix of binary outcomes and predictions."""
    truth, flagged = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    if truth.shape != flagged.shape:
        raise UsageError(
            f"y_true and y_pred differ in length ({truth.size} and {flagged.size}); give one "
            "outcome and one prediction per child"
        )
    if truth.size == 0:
        raise UsageError("y_true is empty: performance needs at least one child")
    tp = int(np.count_nonzero(truth & flagged))
    fp = int(np.count_nonzero(~truth & flagged))
    fn = int(np.count_nonzero(truth & ~flagged))
    return Confusion(tp=tp, fp=fp, tn=truth.size - tp - fp - fn, fn=fn)


def wilson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for ``successes / trials`` (``trials`` > 0)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    half /= 1 + z * z / trials
    return max(0.0, centre - half), min(1.0, centre + half)


def _estimate(cells: Confusion, metric: str, confidence: float, withheld: bool) -> EstimateRecord:
    counted, of = cells.share(metric)
    if withheld or of == 0:
        return EstimateRecord(value=None, ci=(None, None))
    low, high = wilson(counted, of, confidence)
    return EstimateRecord(
        value=round(counted / of, _PLACES), ci=(round(low, _PLACES), round(high, _PLACES))
    )


def _message(metric: str, bound: str, limit: float, verdict: str, estimate: EstimateRecord) -> str:
    sign = ">=" if bound == "min" else "<="
    if estimate.value is None:
        return (
            f"{metric} {sign} {limit:g}: inconclusive; the figure is withheld (a small number "
            "of children, DfE disclosure control) or undefined (no children to measure it on)"
        )
    low, high = estimate.ci
    return (
        f"{metric} {sign} {limit:g}: {verdict} ({metric} {estimate.value:.3f}, interval "
        f"{low:.3f} to {high:.3f})"
    )


_EVALUATE_KEYS = {
    "tp": "true_positives",
    "fp": "false_positives",
    "tn": "true_negatives",
    "fn": "false_negatives",
}


def confusion_from_metrics(metrics: Mapping[str, Any]) -> Confusion:
    """The confusion matrix from ``mlflow.models.evaluate`` results (``result.metrics``, or a
    run's logged metrics): its ``true_positives``, ``false_positives``, ``true_negatives`` and
    ``false_negatives``."""
    missing = [key for key in _EVALUATE_KEYS.values() if key not in metrics]
    if missing:
        raise UsageError(
            f"metrics: no {', '.join(missing)}; give the metrics of mlflow.models.evaluate("
            "..., model_type='classifier') on a binary outcome, or y_true and y_pred",
            key="metrics",
        )
    counts = {}
    for cell, key in _EVALUATE_KEYS.items():
        value = float(metrics[key])
        if value < 0 or not value.is_integer():
            raise UsageError(f"metrics: {key} is {value}, not a count of children", key=key)
        counts[cell] = int(value)
    if sum(counts.values()) == 0:
        raise UsageError("metrics: every count is 0; performance needs at least one child")
    return Confusion(**counts)


def measure_performance(
    y_true: Any = None,
    y_pred: Any = None,
    *,
    name: str = "model",
    policy: PerformancePolicy | None = None,
    cells: Confusion | None = None,
) -> PerformancePayload:
    """The performance record of ``y_pred`` against ``y_true`` (or of the confusion matrix
    ``cells``), judged by ``policy``."""
    settings = policy or PerformancePolicy()
    if cells is None:
        cells = confusion(y_true, y_pred)
    limit = settings.suppress_counts_up_to
    withheld = any(0 < c <= limit for c in (cells.tp, cells.fp, cells.tn, cells.fn))
    estimates = {
        m: _estimate(cells, m, settings.confidence_level, withheld) for m in PERFORMANCE_METRICS
    }
    thresholds = []
    for metric, bounds in settings.thresholds.items():
        for bound in ("min", "max"):
            value = getattr(bounds, bound)
            if value is None:
                continue
            estimate = estimates[metric]
            verdict = bounds.verdict(bound, estimate.value, *estimate.ci)
            thresholds.append(
                PerformanceThreshold(
                    metric=metric,
                    bound=bound,
                    limit=value,
                    judge=bounds.judge,
                    estimate=estimates[metric],
                    verdict=verdict,
                    message=_message(metric, bound, value, verdict, estimates[metric]),
                )
            )
    verdicts = {t.verdict for t in thresholds}
    status = (
        "failed"
        if "breaches" in verdicts
        else ("inconclusive" if "inconclusive" in verdicts else "passed")
    )
    reasons = tuple(t.message for t in thresholds if t.verdict != "meets")
    if withheld:
        reasons += (
            f"every figure is withheld: a cell of the confusion matrix holds 1 to {limit} "
            "children (DfE disclosure control)",
        )
    return PerformancePayload(
        name=name,
        status=status,
        reasons=reasons,
        count=cells.count if not 0 < cells.count <= limit else "c",
        confidence_level=settings.confidence_level,
        suppress_counts_up_to=limit,
        withheld=withheld,
        metrics=tuple(PerformanceMetric(metric=m, estimate=e) for m, e in estimates.items()),
        thresholds=tuple(thresholds),
    )
