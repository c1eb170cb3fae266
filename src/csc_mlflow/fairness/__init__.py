"""Fairness evaluation: disaggregated metrics with intervals, small-number rules, thresholds."""

from csc_mlflow.fairness._compute import (
    Estimate,
    FairnessResult,
    FeatureResult,
    GroupResult,
    ThresholdResult,
    compute_fairness,
    published_counts,
)
from csc_mlflow.fairness._log import evaluate_fairness

__all__ = [
    "Estimate",
    "FairnessResult",
    "FeatureResult",
    "GroupResult",
    "ThresholdResult",
    "compute_fairness",
    "evaluate_fairness",
    "published_counts",
]
