"""Fairness evaluation: disaggregated metrics with intervals, small-number rules, thresholds."""

from csc_mlflow.fairness._compute import compute_fairness
from csc_mlflow.fairness._inputs import binary
from csc_mlflow.fairness._log import evaluate_fairness
from csc_mlflow.fairness._results import (
    Estimate,
    FairnessResult,
    FeatureResult,
    GroupResult,
    ThresholdResult,
    published_counts,
)
from csc_mlflow.fairness._thresholds import rejudge

__all__ = [
    "Estimate",
    "FairnessResult",
    "FeatureResult",
    "GroupResult",
    "ThresholdResult",
    "binary",
    "compute_fairness",
    "evaluate_fairness",
    "published_counts",
    "rejudge",
]
