"""Policy thresholds judged on each feature, and the evaluation's overall verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from csc_mlflow._policy import FairnessPolicy, FairnessThreshold
from csc_mlflow.fairness._results import Estimate, FeatureResult, ThresholdResult, Verdict

__all__ = ["judge", "verdict"]


def judge(fairness: FairnessPolicy, features: list[FeatureResult]) -> list[ThresholdResult]:
    results = []
    for threshold in fairness.thresholds:
        targets = threshold.features or tuple(f.feature for f in features)
        for feature in features:
            if feature.feature not in targets:
                continue
            results.extend(_judge_one(threshold, feature, fairness.confidence_level))
    return results


def _judge_one(
    threshold: FairnessThreshold, feature: FeatureResult, confidence: float
) -> list[ThresholdResult]:
    key = threshold.metric + ("_to_reference" if threshold.against == "reference" else "")
    estimate = feature.disparities.get(key, Estimate(None))
    out = []
    bounds: tuple[tuple[Literal["min", "max"], float | None], ...] = (
        ("min", threshold.min),
        ("max", threshold.max),
    )
    for bound, limit in bounds:
        if limit is None:
            continue
        where = f"{feature.feature}: {threshold.metric}"
        if estimate.value is None:
            verdict: Verdict = "insufficient_evidence"
            message = f"{where} cannot be judged: fewer than two groups are large enough to compare"
        else:
            point = estimate.value
            if threshold.judge == "interval":
                edge = estimate.low if bound == "max" else estimate.high
                beyond = edge is not None and (edge > limit if bound == "max" else edge < limit)
                pct = f"{round(confidence * 100, 6):g}%"
                how = f"{pct} interval {_fmt(estimate.low)} to {_fmt(estimate.high)}"
            else:
                beyond = point > limit if bound == "max" else point < limit
                how = "point estimate"
            verdict = "breach" if beyond else "pass"
            sign = "<=" if bound == "max" else ">="
            between = f" ({' vs '.join(estimate.groups)})" if estimate.groups else ""
            message = f"{where} = {_fmt(point)}{between}; required {sign} {limit} on the {how}" + (
                ": breached" if beyond else ""
            )
        out.append(
            ThresholdResult(
                metric=threshold.metric,
                feature=feature.feature,
                bound=bound,
                limit=limit,
                judge=threshold.judge,
                against=threshold.against,
                estimate=estimate,
                verdict=verdict,
                message=message,
            )
        )
    return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def verdict(
    policy: FairnessPolicy,
    features: list[FeatureResult],
    thresholds: Sequence[ThresholdResult],
    *,
    has_policy: bool,
) -> tuple[str, list[str]]:
    reasons = [t.message for t in thresholds if t.verdict == "breach"]
    insufficient = [
        f"{f.feature}: group '{g.group}' is below the minimum group size of "
        f"{policy.min_group_size}: insufficient evidence to judge it"
        for f in features
        for g in f.groups
        if not g.sufficient
    ]
    insufficient += [t.message for t in thresholds if t.verdict == "insufficient_evidence"]
    if reasons:
        return "failed", reasons
    if insufficient and has_policy and policy.insufficient_evidence == "block":
        return "insufficient_evidence", insufficient
    if insufficient:
        return "warnings", insufficient
    return "passed", []
