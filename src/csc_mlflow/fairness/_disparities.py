"""Per-group estimates and between-group disparities (difference and ratio, with intervals)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np

from csc_mlflow._policy import FairnessPolicy
from csc_mlflow.fairness._engine import GroupCounts, Undefined, all_rates
from csc_mlflow.fairness._intervals import newcombe, ratio_bounds
from csc_mlflow.fairness._results import Estimate, FeatureResult, GroupResult

__all__ = ["NAMED", "feature_result"]

NAMED: Final = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
}


def feature_result(
    name: str,
    columns: tuple[str, ...],
    counts: GroupCounts,
    auc: np.ndarray | None,
    metrics: tuple[str, ...],
    policy: FairnessPolicy,
    confidence: float,
    undefined: Undefined,
    reference: str | None,
) -> FeatureResult:
    rates = all_rates(counts, metrics, confidence, undefined)
    n = counts.n.astype(int)
    sufficient = n >= policy.min_group_size
    columns_ = {
        m: (mv.value.tolist(), mv.low.tolist(), mv.high.tolist()) for m, mv in rates.items()
    }
    auc_values = auc.tolist() if auc is not None else None
    sizes, enough = n.tolist(), sufficient.tolist()
    groups = []
    for i, label in enumerate(counts.labels):
        values: dict[str, Estimate] = {}
        for metric, (value_, low_, high_) in columns_.items():
            value = value_[i]
            values[metric] = (
                Estimate(value, low_[i], high_[i]) if math.isfinite(value) else Estimate(None)
            )
        if auc_values is not None:
            value = auc_values[i]
            values["roc_auc"] = Estimate(value if math.isfinite(value) else None)
        tn, fp, fn, tp = (int(c) for c in counts.rows[i])
        groups.append(GroupResult(label, sizes[i], enough[i], values, (tn, fp, fn, tp)))
    disparities: dict[str, Estimate] = {}
    judged = [g for g in groups if g.sufficient]
    for metric in rates:
        diff, ratio = _between(judged, metric)
        disparities[f"{metric}_difference"] = diff
        disparities[f"{metric}_ratio"] = ratio
        ref = next((g for g in judged if g.group == reference), None)
        if ref is not None:
            rdiff, rratio = _to_reference(judged, ref, metric)
            disparities[f"{metric}_difference_to_reference"] = rdiff
            disparities[f"{metric}_ratio_to_reference"] = rratio
    for named, parts in NAMED.items():
        for suffix in ("", "_to_reference"):
            if not all(f"{p}_difference{suffix}" in disparities for p in parts):
                continue
            for kind, pick in (("difference", max), ("ratio", min)):
                candidates = [disparities[f"{p}_{kind}{suffix}"] for p in parts]
                disparities[f"{named}_{kind}{suffix}"] = _worst(candidates, pick, undefined)
    return FeatureResult(name, columns, tuple(groups), disparities, reference)


def _worst(
    candidates: list[Estimate], pick: Callable[..., Estimate], undefined: Undefined
) -> Estimate:
    """The worst component, as fairlearn. With undefined rates withheld (the default), undefined
    if any component is: degenerate labels in a group must not let the other component decide
    alone. With fairlearn's zero convention, as fairlearn (the worst defined component)."""
    defined = [c for c in candidates if c.value is not None]
    complete = len(defined) == len(candidates) or (undefined == "zero" and bool(defined))
    return pick(defined, key=lambda e: e.value or 0.0) if complete else Estimate(None)


def _between(groups: list[GroupResult], metric: str) -> tuple[Estimate, Estimate]:
    defined = [g for g in groups if g.metrics[metric].value is not None]
    if len(defined) < 2:
        return Estimate(None), Estimate(None)
    hi = max(defined, key=lambda g: g.metrics[metric].value or 0.0)
    lo = min(defined, key=lambda g: (g.metrics[metric].value or 0.0, g is hi))
    a, b = hi.metrics[metric], lo.metrics[metric]
    assert a.value is not None
    assert b.value is not None
    d_low, d_high = newcombe(
        a.value, a.low or 0.0, a.high or 1.0, b.value, b.low or 0.0, b.high or 1.0
    )
    difference = Estimate(a.value - b.value, d_low, d_high, (hi.group, lo.group))
    if a.value > 0:
        r_low, r_high = ratio_bounds(
            b.value, b.low or 0.0, b.high or 1.0, a.value, a.low or 0.0, a.high or 1.0
        )
        ratio = Estimate(b.value / a.value, r_low, r_high, (lo.group, hi.group))
    else:  # every group's rate is 0: the ratio is undefined (fairlearn gives NaN too)
        ratio = Estimate(None)
    return difference, ratio


def _to_reference(
    groups: list[GroupResult], ref: GroupResult, metric: str
) -> tuple[Estimate, Estimate]:
    r = ref.metrics[metric]
    others = [g for g in groups if g is not ref and g.metrics[metric].value is not None]
    if r.value is None or not others:
        return Estimate(None), Estimate(None)
    worst = max(others, key=lambda g: abs((g.metrics[metric].value or 0.0) - (r.value or 0.0)))
    w = worst.metrics[metric]
    assert w.value is not None
    low, high = newcombe(w.value, w.low or 0.0, w.high or 1.0, r.value, r.low or 0.0, r.high or 1.0)
    if w.value < r.value:
        low, high = -high, -low
    difference = Estimate(
        abs(w.value - r.value), max(low, 0.0) if low > 0 else low, high, (worst.group, ref.group)
    )

    def both_ways(g: GroupResult) -> float:
        v = g.metrics[metric].value or 0.0
        if v == 0 and r.value == 0:
            return 1.0
        if v == 0 or r.value == 0:
            return 0.0
        return min(v / r.value, r.value / v)  # type: ignore[operator]

    lowest = min(others, key=both_ways)
    lv = lowest.metrics[metric]
    assert lv.value is not None
    small, big = (lv, r) if lv.value <= r.value else (r, lv)
    assert small.value is not None
    assert big.value is not None
    r_low, r_high = ratio_bounds(
        small.value, small.low or 0.0, small.high or 1.0, big.value, big.low or 0.0, big.high or 1.0
    )
    ratio = Estimate(both_ways(lowest), r_low, r_high, (lowest.group, ref.group))
    return difference, ratio
