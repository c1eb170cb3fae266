"""Policy thresholds judged on each feature, and the evaluation's overall verdict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from csc_mlflow._evidence import FairnessPayload
from csc_mlflow._policy import FairnessPolicy, FairnessThreshold
from csc_mlflow.fairness._results import Estimate, FeatureResult, ThresholdResult, Verdict

__all__ = ["judge", "rejudge", "verdict"]


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
    pct = f"{round(confidence * 100, 6):g}%"
    out = []
    bounds: tuple[tuple[Literal["min", "max"], float | None], ...] = (
        ("min", threshold.min),
        ("max", threshold.max),
    )
    for bound, limit in bounds:
        if limit is None:
            continue
        verdict, message = _verdict_for(threshold, feature, estimate, bound, limit, pct)
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


def _verdict_for(
    threshold: FairnessThreshold,
    feature: FeatureResult,
    estimate: Estimate,
    bound: Literal["min", "max"],
    limit: float,
    pct: str,
) -> tuple[Verdict, str]:
    """Meets, breaches or inconclusive, and the sentence that says why.

    *Meets* needs the whole interval on the right side of the limit; *breaches* needs the
    whole interval beyond it (or, judged on the point estimate, the point beyond it). Anything
    else is *inconclusive*: never a pass.
    """
    where = f"{feature.feature}: {threshold.metric}"
    sign = "<=" if bound == "max" else ">="
    if estimate.value is None:
        return "inconclusive", (
            f"{where} is inconclusive: it cannot be computed, because fewer than two groups are "
            "large enough to compare or a rate is undefined in a group (for example no "
            "children with the outcome); required "
            f"{sign} {limit}"
        )
    point, low, high = estimate.value, estimate.low, estimate.high
    beyond = point > limit if bound == "max" else point < limit
    between = f" ({' vs '.join(estimate.groups)})" if estimate.groups else ""
    stated = (
        f"{where} = {_fmt(point)}{between}, {pct} interval {_fmt(low)} to {_fmt(high)}; "
        f"required {sign} {limit}"
    )
    if low is None or high is None:
        if beyond:
            return "breaches", f"{stated}: breached on the point estimate"
        return "inconclusive", f"{stated}: inconclusive, the interval could not be computed"
    within = high <= limit if bound == "max" else low >= limit
    outside = low > limit if bound == "max" else high < limit
    if within:
        return "meets", f"{stated}: met"
    if outside:
        return "breaches", f"{stated}: breached"
    if threshold.judge == "point" and beyond:
        return "breaches", f"{stated}: breached on the point estimate"
    return "inconclusive", f"{stated}: inconclusive, {_settle(point, low, high, limit)}"


def _settle(point: float, low: float, high: float, limit: float) -> str:
    """Why the interval does not decide, and roughly how many more children would."""
    distance = abs(point - limit)
    half_width = (high - low) / 2
    if distance == 0 or half_width <= 0:
        return (
            "the estimate sits on the limit, so more children alone may not settle it; "
            "review it with the people who own the threshold"
        )
    factor = max((half_width / distance) ** 2, 1.0)
    amount = "more than 100" if factor > 100 else f"roughly {math.ceil(factor * 10) / 10:g}"
    return (
        f"the interval straddles the limit; {amount} times as many children in the groups "
        "compared would settle it"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def verdict(
    policy: FairnessPolicy,
    features: list[FeatureResult],
    thresholds: Sequence[ThresholdResult],
    *,
    has_policy: bool,
) -> tuple[str, list[str]]:
    reasons = [t.message for t in thresholds if t.verdict == "breaches"]
    inconclusive = [t.message for t in thresholds if t.verdict == "inconclusive"]
    insufficient = [
        f"{f.feature}: group '{g.group}' is below the minimum group size of "
        f"{policy.min_group_size}: insufficient evidence to judge it"
        for f in features
        for g in f.groups
        if not g.sufficient
    ]
    if reasons:
        return "failed", reasons
    if inconclusive:
        return "inconclusive", inconclusive + insufficient
    if insufficient and has_policy and policy.insufficient_evidence == "block":
        return "insufficient_evidence", insufficient
    if insufficient:
        return "warnings", insufficient
    return "passed", []


def rejudge(fairness: FairnessPolicy, payload: FairnessPayload) -> list[ThresholdResult]:
    """``fairness``'s thresholds judged again on the figures a sealed record published.

    The gate uses this to judge sealed evidence under the policy in force now: the recorded
    disparities and their intervals are all a threshold needs, so nothing is recomputed from
    (or needs) the children's records.
    """
    features = [
        FeatureResult(
            feature=record.feature,
            columns=record.columns,
            groups=(),
            disparities={
                key: Estimate(e.value, e.ci[0], e.ci[1], e.groups)
                for key, e in record.disparities.items()
            },
            reference_group=record.reference_group,
        )
        for record in payload.features
    ]
    return judge(fairness, features)
