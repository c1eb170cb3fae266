"""Fairness evaluation: per-group metrics with intervals, disparities, thresholds, verdicts.

Pure computation (no MLflow): :func:`compute_fairness` returns a :class:`FairnessResult`
whose :meth:`~FairnessResult.payload` is the evidence record.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Final

import numpy as np

from csc_mlflow._evidence import FairnessSettings
from csc_mlflow._groupings import NOT_RECORDED
from csc_mlflow._policy import (
    DEFAULT_METRICS,
    FairnessPolicy,
    SensitiveFeature,
    intersection_name,
)
from csc_mlflow.exceptions import DataError
from csc_mlflow.fairness._counter import Counter
from csc_mlflow.fairness._disparities import feature_result
from csc_mlflow.fairness._engine import RATE_METRICS, Undefined, all_rates, roc_auc_by_group
from csc_mlflow.fairness._groups import POOLED, encode, product_codes
from csc_mlflow.fairness._inputs import binary, sensitive_columns, weights
from csc_mlflow.fairness._results import Estimate, FairnessResult, FeatureResult
from csc_mlflow.fairness._thresholds import judge, verdict

__all__ = ["MAX_GROUPS", "MAX_TABLE_GROUPS", "compute_fairness"]

MAX_GROUPS: Final = 200
"""The most groups one sensitive feature may have (record and chart sizes stay bounded)."""
MAX_TABLE_GROUPS: Final = 1_000
"""The most groups an intersection may have."""


def compute_fairness(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    fairness: FairnessPolicy | None = None,
    y_score: Any = None,
    sample_weight: Any = None,
    name: str = "model",
    age_at: date | None = None,
    undefined: Undefined = "nan",
    counts: Any = None,
) -> FairnessResult:
    """Per-group metrics, disparities with intervals, and threshold verdicts.

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1 (or bool)
        Labels and predictions.
    sensitive_features : DataFrame, Series or mapping
        Raw sensitive columns. With a policy, the columns it names; without, every column is
        a feature whose raw values are its groups.
    fairness : FairnessPolicy, optional
        Features, groupings, intersections, metrics, thresholds and small-number rules.
    y_score : array-like, optional
        Scores for per-group ROC AUC.
    sample_weight : array-like, optional
        Weights for every rate (intervals use the unweighted counts).
    undefined : {"nan", "zero"}
        A rate with a zero denominator is NaN (withheld, left out of disparities) or 0
        (fairlearn's convention).
    counts : array-like of int, optional
        How many rows each row stands for: cells counted where the data lives (Spark, SQL),
        each with its rows' weight sum as ``sample_weight``. Every rate, interval and small-
        number rule is as for the rows themselves.
    """
    # Without a policy, the documented defaults: the small-number rules of a default policy
    # (the placeholder feature is never used; the columns given are the features).
    policy = fairness or FairnessPolicy(
        sensitive_features={"given": SensitiveFeature(column="given")}, min_group_size=10
    )
    specs = fairness.sensitive_features if fairness is not None else None
    yt = binary(y_true, "y_true")
    yp = binary(y_pred, "y_pred")
    if len(yt) == 0:
        raise DataError("y_true is empty: there is nothing to evaluate", key="y_true")
    if len(yp) != len(yt):
        raise DataError(f"y_pred has {len(yp)} rows but y_true has {len(yt)}", key="y_pred")
    weighted = weights(sample_weight, len(yt))
    frequency = None if counts is None else _frequency(counts, len(yt))
    if frequency is not None and y_score is not None:
        raise DataError(
            "per-group ROC AUC needs each row's score; it cannot be computed from counts. "
            "Leave y_score out for data counted in Spark or SQL",
            key="y_score",
        )
    rows_total = len(yt) if frequency is None else int(frequency.sum())
    scores = None if y_score is None else np.asarray(y_score, dtype=float)
    columns = sensitive_columns(sensitive_features, specs, len(yt))
    at = age_at or date.today()
    encoded = {
        name_: encode(name_, values, specs[name_] if specs else None, age_at=at)
        for name_, values in columns.items()
    }
    metrics = tuple(
        m for m in (fairness.metrics if fairness else DEFAULT_METRICS) if m in RATE_METRICS
    )
    confidence = policy.confidence_level
    counter = Counter(list(encoded.values()), yt, yp, weighted, frequency)
    notes = [note for f in encoded.values() for note in f.notes]
    for name_, feature in encoded.items():
        if feature.declared:
            continue
        pooled = counter.pool_small(name_, policy.min_group_size, POOLED, keep=NOT_RECORDED)
        if pooled:
            notes.append(
                f"{feature.column}: values held by fewer than {policy.min_group_size} children "
                f"are not published; they are pooled as '{POOLED}'"
            )
        encoded[name_] = counter.encoded(name_)
    for name_, feature in encoded.items():
        if len(feature.labels) > MAX_GROUPS:
            raise DataError(
                f"sensitive feature {name_!r} has more than {MAX_GROUPS} groups of at least "
                f"{policy.min_group_size} children: too many to compare or publish. Give it a "
                f"grouping (fairness.sensitive_features.{name_}.grouping, groups or age_bands) "
                "that maps its values to fewer, named groups",
                key=f"fairness.sensitive_features.{name_}",
            )
    features: list[FeatureResult] = []
    tables: list[tuple[tuple[str, ...], str | None]] = [
        ((name_,), specs[name_].reference_group if specs else None) for name_ in encoded
    ]
    tables += [(tuple(combo), None) for combo in (fairness.intersections if fairness else ())]
    for members, reference in tables:
        counts = counter.table(members)
        if len(counts.labels) > MAX_TABLE_GROUPS:
            raise DataError(
                f"the intersection {intersection_name(members)!r} has more than "
                f"{MAX_TABLE_GROUPS} groups: too many to compare or publish. Use coarser "
                "groupings for its features, or fewer features in it",
                key="fairness.intersections",
            )
        auc = None
        if scores is not None:
            parts = [encoded[m] for m in members]
            size = int(np.prod([len(part.labels) for part in parts]))
            auc = roc_auc_by_group(product_codes(parts), size, yt, scores)[counter.present(members)]
        features.append(
            feature_result(
                members[0] if len(members) == 1 else intersection_name(members),
                tuple(encoded[m].column for m in members),
                counts,
                auc,
                metrics,
                policy,
                confidence,
                undefined,
                reference,
            )
        )

    everyone = counter.overall()
    overall = {
        m: Estimate(_first(v.value), _first(v.low), _first(v.high))
        for m, v in all_rates(everyone, metrics, confidence, undefined).items()
    }
    thresholds = judge(fairness, features) if fairness else ()
    status, reasons = verdict(policy, features, thresholds, has_policy=fairness is not None)
    if status == "failed":  # breaches decide; small groups are still reported, as notes
        notes += verdict(policy, features, (), has_policy=True)[1]
    settings = FairnessSettings(
        min_group_size=policy.min_group_size,
        suppress_counts_up_to=policy.suppress_counts_up_to,
        confidence_level=confidence,
        insufficient_evidence=policy.insufficient_evidence,
        metrics=metrics,
        undefined_rates="withheld" if undefined == "nan" else "zero",
        age_at=at.isoformat(),
        weighted=weighted is not None,
    )
    return FairnessResult(
        name=name,
        n=rows_total,
        features=tuple(features),
        thresholds=tuple(thresholds),
        status=status,
        reasons=tuple(reasons),
        notes=tuple(notes),
        settings=settings,
        overall=overall,
    )


def _frequency(counts: Any, n: int) -> np.ndarray:
    try:
        array = np.asarray(counts, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DataError("counts must hold whole numbers, one per row", key="counts") from exc
    if len(array) != n or not np.isfinite(array).all() or (array < 0).any():
        raise DataError(
            f"counts must hold {n} whole numbers of 0 or more, one per row", key="counts"
        )
    if (array != np.round(array)).any():
        raise DataError("counts must hold whole numbers", key="counts")
    return array


def _first(array: np.ndarray) -> float | None:
    value = float(array[0])
    return value if math.isfinite(value) else None
