"""One batch against the reference profile: drift per feature, rate changes per group.

Computed only from what the profile publishes and the batch's own counts, merged as the
profile's are, so the monitoring record publishes no count of 1 to the suppression limit.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from csc_mlflow._evidence import (
    DriftRecord,
    EstimateRecord,
    FeatureRecord,
    RateChange,
    ReferenceProfilePayload,
)
from csc_mlflow._policy import DriftPolicy, MonitoringFairness
from csc_mlflow.monitoring._bins import Binned, merge_small
from csc_mlflow.monitoring._drift import finite, holm, homogeneity, psi

__all__ = ["JUDGED_RATES", "compare_features", "rate_changes", "settle"]

JUDGED_RATES: Final = ("selection_rate", "false_positive_rate", "false_negative_rate")
_WORDS: Final = {
    "selection_rate": "share flagged",
    "false_positive_rate": "share wrongly flagged",
    "false_negative_rate": "share missed",
}


def compare_features(
    profile: ReferenceProfilePayload, binned: list[Binned], *, limit: int, drift: DriftPolicy
) -> tuple[DriftRecord, ...]:
    """Each profiled feature (and the predictions) in the batch against the profile."""
    found = {b.feature: b for b in binned}
    rows: list[tuple[str, str, list[tuple[tuple[str, ...], int, int]], str | None]] = []
    for reference in profile.features:
        batch = found.get(reference.feature)
        if batch is None:
            rows.append((reference.feature, reference.column, [], "not monitored any more"))
            continue
        index = {label: i for i, label in enumerate(batch.labels)}
        counts = batch.counts()
        known = {label for b in reference.bins for label in b.labels}
        changed = sorted(known - set(index))
        if changed:
            rows.append(
                (
                    reference.feature,
                    reference.column,
                    [],
                    "its declared bins changed since the "
                    "reference profile was recorded; record a new one",
                )
            )
            continue
        bins = [
            (b.labels, b.count, int(sum(counts[index[label]] for label in b.labels)))
            for b in reference.bins
        ]
        extra = [label for label in batch.labels if label not in known]
        bins += [((label,), 0, int(counts[index[label]])) for label in extra]
        ref = np.array([b[1] for b in bins], dtype=np.int64)
        new = np.array([b[2] for b in bins], dtype=np.int64)
        merged = merge_small([ref, new], ordered=reference.kind == "numeric", limit=limit)
        compared = [
            (
                tuple(label for i in group for label in bins[i][0]),
                int(ref[group].sum()),
                int(new[group].sum()),
            )
            for group in merged
        ]
        rows.append((reference.feature, reference.column, compared, None))

    tests = [
        homogeneity(np.array([b[1] for b in c]), np.array([b[2] for b in c]))
        if problem is None and len(c) > 1
        else None
        for _, _, c, problem in rows
    ]
    adjusted = holm([t[2] if t is not None else None for t in tests])
    records = []
    for (feature, column, compared, problem), test, p_adj in zip(
        rows, tests, adjusted, strict=True
    ):
        index_value = (
            psi(np.array([b[1] for b in compared]), np.array([b[2] for b in compared]))
            if compared and problem is None and len(compared) > 1
            else None
        )
        verdict, message = _drift_verdict(feature, index_value, p_adj, problem, drift)
        records.append(
            DriftRecord(
                feature=feature,
                column=column,
                bins=tuple(compared),
                psi=finite(index_value),
                chi2=finite(test[0]) if test else None,
                dof=test[1] if test else 0,
                p_value=finite(test[2]) if test else None,
                p_adjusted=finite(p_adj),
                verdict=verdict,
                message=message,
            )
        )
    return tuple(records)


def _drift_verdict(
    feature: str,
    index: float | None,
    p_adjusted: float | None,
    problem: str | None,
    drift: DriftPolicy,
) -> tuple[str, str]:
    what = "the predictions" if feature == "prediction" else f"feature {feature!r}"
    if problem is not None:
        return "inconclusive", f"{what} cannot be compared: {problem}"
    if index is None or p_adjusted is None:
        return "inconclusive", (
            f"{what} cannot be compared: too few children in the batch or the reference to "
            "keep two bins without disclosing small counts"
        )
    figures = f"PSI {index:.3f} (at most {drift.psi_max:g}), adjusted p {p_adjusted:.3g}"
    if index <= drift.psi_max:
        return "stable", f"{what} is stable: {figures}"
    if p_adjusted < drift.alpha:
        return "drifted", f"{what} has drifted from training: {figures}"
    return "inconclusive", (
        f"{what} may have drifted ({figures}), but the batch is too small for the change to "
        f"be told apart from chance at alpha {drift.alpha:g}"
    )


def settle(low: float, high: float, point: float, limit: float, judge: str) -> str:
    """``meets``, ``breaches`` or ``inconclusive`` for a change bounded by +/- ``limit``."""
    if judge == "point":
        return "breaches" if abs(point) > limit else "meets"
    if low > limit or high < -limit:
        return "breaches"
    if -limit <= low and high <= limit:
        return "meets"
    return "inconclusive"


def _difference(reference: EstimateRecord, batch: EstimateRecord) -> EstimateRecord:
    """Batch minus reference, with the Newcombe hybrid interval from the two Wilson intervals
    as published."""
    p1, (l1, u1) = reference.value, reference.ci
    p2, (l2, u2) = batch.value, batch.ci
    if p1 is None or l1 is None or u1 is None or p2 is None or l2 is None or u2 is None:
        return EstimateRecord(value=None, ci=(None, None))
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return EstimateRecord(value=round(d, 6), ci=(round(low, 6), round(high, 6)))


def rate_changes(
    reference: tuple[FeatureRecord, ...],
    batch: tuple[FeatureRecord, ...],
    metrics: tuple[str, ...],
    settings: MonitoringFairness,
) -> tuple[RateChange, ...]:
    """Each group's judged rates in the batch against the same group's at training."""
    before = {(f.feature, g.group): g for f in reference for g in f.groups}
    changes = []
    for feature in batch:
        for group in feature.groups:
            old = before.get((feature.feature, group.group))
            for metric in metrics:
                if metric not in JUDGED_RATES:
                    continue
                empty = EstimateRecord(value=None, ci=(None, None))
                now = (group.metrics or {}).get(metric, empty)
                then = (old.metrics or {}).get(metric, empty) if old is not None else empty
                change = _difference(then, now)
                words = f"{_WORDS[metric]} for {feature.feature} {group.group}"
                if change.value is None:
                    verdict = "not_compared"
                    if old is None:
                        why = "the group was not in the training data"
                    elif old.metrics is not None and metric not in old.metrics:
                        why = "training recorded no such rate (no outcomes in the profile)"
                    elif then.value is None:
                        why = "too few children to publish the rate at training"
                    else:
                        verdict = "withheld"
                        why = "too few children to publish the rate in this batch"
                    message = f"{words}: not compared ({why})"
                else:
                    low, high = change.ci
                    assert low is not None
                    assert high is not None
                    verdict = settle(
                        low, high, change.value, settings.max_rate_change, settings.judge
                    )
                    message = (
                        f"{words} moved by {change.value:+.3f} (interval {low:+.3f} to "
                        f"{high:+.3f}) against at most {settings.max_rate_change:g} either way"
                    )
                changes.append(
                    RateChange(
                        feature=feature.feature,
                        group=group.group,
                        metric=metric,
                        reference=then,
                        batch=now,
                        change=change,
                        verdict=verdict,
                        message=message,
                    )
                )
    return tuple(changes)
