"""Per-group estimates and between-group disparities (difference and ratio, with intervals)."""

from __future__ import annotations

import functools
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
    sizes, enough = n.tolist(), (n >= policy.min_group_size).tolist()
    # One column of plain floats per metric (None where undefined): every group's estimates
    # and every disparity are read from these, no per-group lookups.
    estimates: dict[str, list[Estimate]] = {}
    values: dict[str, list[float | None]] = {}
    for metric, mv in rates.items():
        column = [
            _estimate((v, lo, hi, ())) if math.isfinite(v) else _UNDEFINED
            for v, lo, hi in zip(mv.value.tolist(), mv.low.tolist(), mv.high.tolist(), strict=True)
        ]
        estimates[metric] = column
        values[metric] = [e.value for e in column]
    if auc is not None:
        estimates["roc_auc"] = [
            Estimate(v) if math.isfinite(v) else _UNDEFINED for v in auc.tolist()
        ]
    labels = counts.labels
    cells = counts.rows.astype(int).tolist()
    groups = tuple(
        GroupResult(
            label,
            sizes[i],
            enough[i],
            {metric: column[i] for metric, column in estimates.items()},
            tuple(cells[i]),
        )
        for i, label in enumerate(labels)
    )
    judged = [i for i in range(len(labels)) if enough[i]]
    ref = next((i for i in judged if labels[i] == reference), None)
    disparities: dict[str, Estimate] = {}
    for metric in rates:
        column, value = estimates[metric], values[metric]
        defined = [i for i in judged if value[i] is not None]
        diff, ratio = _between(defined, column, value, labels)
        disparities[f"{metric}_difference"] = diff
        disparities[f"{metric}_ratio"] = ratio
        if ref is not None:
            others = [i for i in defined if i != ref]
            rdiff, rratio = _to_reference(others, ref, column, labels)
            disparities[f"{metric}_difference_to_reference"] = rdiff
            disparities[f"{metric}_ratio_to_reference"] = rratio
    for named, parts in NAMED.items():
        for suffix in ("", "_to_reference"):
            if not all(f"{p}_difference{suffix}" in disparities for p in parts):
                continue
            for kind, pick in (("difference", max), ("ratio", min)):
                candidates = [disparities[f"{p}_{kind}{suffix}"] for p in parts]
                disparities[f"{named}_{kind}{suffix}"] = _worst(candidates, pick, undefined)
    return FeatureResult(name, columns, groups, disparities, reference)


_UNDEFINED: Final = Estimate(None)
_estimate: Final = functools.partial(tuple.__new__, Estimate)
"""``Estimate`` from a full 4-tuple, without the Python-level ``__new__`` (one per group and
metric)."""


def _worst(
    candidates: list[Estimate], pick: Callable[..., Estimate], undefined: Undefined
) -> Estimate:
    """The worst component, as fairlearn. With undefined rates withheld (the default), undefined
    if any component is: degenerate labels in a group must not let the other component decide
    alone. With fairlearn's zero convention, as fairlearn (the worst defined component)."""
    defined = [c for c in candidates if c.value is not None]
    complete = len(defined) == len(candidates) or (undefined == "zero" and bool(defined))
    return pick(defined, key=lambda e: e.value or 0.0) if complete else Estimate(None)


def _between(
    defined: list[int],
    column: list[Estimate],
    value: list[float | None],
    labels: tuple[str, ...],
) -> tuple[Estimate, Estimate]:
    """The largest gap between two groups' rates: the first highest group against the first
    lowest (another than the highest when every rate is equal)."""
    if len(defined) < 2:
        return _UNDEFINED, _UNDEFINED
    hi = max(defined, key=value.__getitem__)  # type: ignore[arg-type]
    lo = min(defined, key=value.__getitem__)  # type: ignore[arg-type]
    if lo == hi:  # every rate equal
        lo = next(i for i in defined if i != hi)
    a, b = column[hi], column[lo]
    assert a.value is not None
    assert b.value is not None
    d_low, d_high = newcombe(
        a.value, a.low or 0.0, a.high or 1.0, b.value, b.low or 0.0, b.high or 1.0
    )
    difference = Estimate(a.value - b.value, d_low, d_high, (labels[hi], labels[lo]))
    if a.value > 0:
        r_low, r_high = ratio_bounds(
            b.value, b.low or 0.0, b.high or 1.0, a.value, a.low or 0.0, a.high or 1.0
        )
        ratio = Estimate(b.value / a.value, r_low, r_high, (labels[lo], labels[hi]))
    else:  # every group's rate is 0: the ratio is undefined (fairlearn gives NaN too)
        ratio = _UNDEFINED
    return difference, ratio


def _to_reference(
    others: list[int], ref: int, column: list[Estimate], labels: tuple[str, ...]
) -> tuple[Estimate, Estimate]:
    r = column[ref]
    if r.value is None or not others:
        return _UNDEFINED, _UNDEFINED
    rv = r.value
    worst = max(others, key=lambda i: abs((column[i].value or 0.0) - rv))
    w = column[worst]
    assert w.value is not None
    low, high = newcombe(w.value, w.low or 0.0, w.high or 1.0, rv, r.low or 0.0, r.high or 1.0)
    if w.value < rv:
        low, high = -high, -low
    difference = Estimate(
        abs(w.value - rv), max(low, 0.0) if low > 0 else low, high, (labels[worst], labels[ref])
    )

    def both_ways(i: int) -> float:
        v = column[i].value or 0.0
        if v == 0 and rv == 0:
            return 1.0
        if v == 0 or rv == 0:
            return 0.0
        return min(v / rv, rv / v)

    lowest = min(others, key=both_ways)
    lv = column[lowest]
    assert lv.value is not None
    small, big = (lv, r) if lv.value <= rv else (r, lv)
    assert small.value is not None
    assert big.value is not None
    r_low, r_high = ratio_bounds(
        small.value, small.low or 0.0, small.high or 1.0, big.value, big.low or 0.0, big.high or 1.0
    )
    ratio = Estimate(both_ways(lowest), r_low, r_high, (labels[lowest], labels[ref]))
    return difference, ratio
