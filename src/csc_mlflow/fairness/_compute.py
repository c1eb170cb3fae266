"""Fairness evaluation: per-group metrics with intervals, disparities, thresholds, verdicts.

Pure computation (no MLflow): :func:`compute_fairness` returns a :class:`FairnessResult`
whose :meth:`~FairnessResult.payload` is the evidence record, with small counts suppressed
and the metrics of groups below the minimum size withheld.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from csc_mlflow._policy import (
    DEFAULT_METRICS,
    FairnessPolicy,
    FairnessThreshold,
    SensitiveFeature,
    intersection_name,
)
from csc_mlflow.fairness._engine import (
    RATE_METRICS,
    GroupCounts,
    Undefined,
    all_rates,
    roc_auc_by_group,
)
from csc_mlflow.fairness._groups import EncodedFeature, encode, product_codes
from csc_mlflow.fairness._intervals import newcombe, ratio_bounds
from csc_mlflow.fairness._suppress import SUPPRESSED, primary, secondary

NAMED: Final = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
    "equal_opportunity": ("true_positive_rate",),
}

Verdict = Literal["pass", "breach", "insufficient_evidence"]


@dataclass(frozen=True)
class Estimate:
    """A value with its interval; None where withheld or undefined."""

    value: float | None
    low: float | None = None
    high: float | None = None
    groups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "value": _round(self.value),
            "ci": [_round(self.low), _round(self.high)],
        }
        if self.groups:
            out["groups"] = list(self.groups)
        return out


@dataclass(frozen=True)
class GroupResult:
    """One group: its size, whether it is large enough to judge, and its metrics."""

    group: str
    count: int
    sufficient: bool
    metrics: Mapping[str, Estimate]


@dataclass(frozen=True)
class FeatureResult:
    """A sensitive feature (or intersection): groups and between-group disparities."""

    feature: str
    columns: tuple[str, ...]
    groups: tuple[GroupResult, ...]
    disparities: Mapping[str, Estimate]
    reference_group: str | None = None

    def group(self, label: str) -> GroupResult:
        """The group called ``label``."""
        return next(g for g in self.groups if g.group == label)


@dataclass(frozen=True)
class ThresholdResult:
    """A policy threshold judged on one feature."""

    metric: str
    feature: str
    bound: str
    limit: float
    judge: str
    against: str
    estimate: Estimate
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class FairnessResult:
    """Everything the fairness evaluation found."""

    name: str
    n: int
    features: tuple[FeatureResult, ...]
    thresholds: tuple[ThresholdResult, ...]
    status: str
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    overall: Mapping[str, Estimate] = field(default_factory=dict)

    def feature(self, name: str) -> FeatureResult:
        """The feature (or intersection) called ``name``."""
        return next(f for f in self.features if f.feature == name)

    def payload(self) -> dict[str, Any]:
        """The evidence payload: no count from 1 to the suppression limit, none recoverable."""
        shown = published_counts(self)
        features = []
        for f in self.features:
            features.append(
                {
                    "feature": f.feature,
                    "columns": list(f.columns),
                    "reference_group": f.reference_group,
                    "groups": [
                        {
                            "group": g.group,
                            "count": shown[(f.feature, g.group)],
                            "verdict": "ok" if g.sufficient else "insufficient_evidence",
                            "metrics": {m: e.to_dict() for m, e in g.metrics.items()}
                            if g.sufficient
                            else None,
                        }
                        for g in f.groups
                    ],
                    "disparities": {m: e.to_dict() for m, e in f.disparities.items()},
                }
            )
        return {
            "name": self.name,
            "status": self.status,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "settings": dict(self.settings),
            "overall": {
                "count": self.n,
                "metrics": {m: e.to_dict() for m, e in self.overall.items()},
            },
            "features": features,
            "thresholds": [
                {
                    "metric": t.metric,
                    "feature": t.feature,
                    "bound": t.bound,
                    "limit": t.limit,
                    "judge": t.judge,
                    "against": t.against,
                    "estimate": t.estimate.to_dict(),
                    "verdict": t.verdict,
                    "message": t.message,
                }
                for t in self.thresholds
            ],
        }

    def mlflow_metrics(self) -> dict[str, float]:
        """Between-group disparities as MLflow metrics (no per-group values, no counts)."""
        out = {}
        for f in self.features:
            for metric, estimate in f.disparities.items():
                if estimate.value is not None:
                    out[f"csc.fairness.{f.feature}.{metric}"] = float(estimate.value)
        return out


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 12)


def published_counts(result: FairnessResult) -> dict[tuple[str, str], int | str]:
    """Group counts as published: 1 to the limit shown as ``c``, with secondary suppression."""
    cells: list[tuple[str, str]] = []
    counts: list[int] = []
    index: dict[tuple[str, str], int] = {}
    for f in result.features:
        for g in f.groups:
            index[(f.feature, g.group)] = len(cells)
            cells.append((f.feature, g.group))
            counts.append(g.count)
    relations: list[list[int]] = []
    singles = {f.feature: f for f in result.features if len(f.columns) == 1}
    for f in result.features:
        relations.append([index[(f.feature, g.group)] for g in f.groups])
        if len(f.columns) < 2:
            continue
        names = f.feature.split("-")
        for position, member in enumerate(names):
            margin = singles.get(member)
            if margin is None:
                continue
            for level in margin.groups:
                inside = [
                    index[(f.feature, g.group)]
                    for g in f.groups
                    if g.group.split(" / ")[position] == level.group
                ]
                relations.append([*inside, index[(member, level.group)]])
    up_to = int(result.settings.get("suppress_counts_up_to", 5))
    hidden = secondary(counts, primary(counts, up_to), relations)
    return {cell: (SUPPRESSED if i in hidden else counts[i]) for i, cell in enumerate(cells)}


def _binary(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.dtype == bool:
        as_int: np.ndarray = array.astype(np.int64)
        return as_int
    if array.dtype.kind in "iuf" and len(array):
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise ValueError(f"{what} has missing values (NaN); drop or fill those rows first")
        low, high = array.min(), array.max()
        if (
            low >= 0
            and high <= 1
            and (array.dtype.kind in "iu" or bool(((array == 0) | (array == 1)).all()))
        ):
            checked: np.ndarray = array if array.dtype == np.int64 else array.astype(np.int64)
            return checked
    if array.dtype.kind in "iuf" and not len(array):
        return array.astype(np.int64)
    found = sorted({str(v) for v in pd.unique(array)})[:5]
    raise ValueError(
        f"{what} must hold 0 and 1 (or True and False); found {found}. "
        "Convert first, e.g. (y == positive_label).astype(int)"
    )


def _columns(
    sensitive_features: Any, features: Mapping[str, SensitiveFeature] | None, n: int
) -> dict[str, Any]:
    if isinstance(sensitive_features, pd.Series):
        sensitive_features = sensitive_features.to_frame()
    if isinstance(sensitive_features, Mapping):
        sensitive_features = pd.DataFrame(dict(sensitive_features))
    if not isinstance(sensitive_features, pd.DataFrame):
        raise TypeError(
            "sensitive_features must be a pandas DataFrame, a Series or a mapping of name to "
            f"values; found {type(sensitive_features).__name__}"
        )
    if len(sensitive_features) != n:
        raise ValueError(
            f"sensitive_features has {len(sensitive_features)} rows but y_true has {n}; "
            "pass the same rows in the same order"
        )
    available = [str(c) for c in sensitive_features.columns]
    if features is None:
        return {
            str(c): sensitive_features[c].reset_index(drop=True) for c in sensitive_features.columns
        }
    out = {}
    for name, spec in features.items():
        if spec.column not in sensitive_features.columns:
            close = difflib.get_close_matches(spec.column, available, n=3)
            hint = f" Close matches: {', '.join(close)}." if close else ""
            raise KeyError(
                f"sensitive feature {name!r} needs column {spec.column!r}, which the data does not "
                f"have (columns: {', '.join(available)}).{hint} Pass it in sensitive_features or "
                f"fix fairness.sensitive_features.{name}.column in the policy."
            )
        out[name] = sensitive_features[spec.column].reset_index(drop=True)
    return out


# Above this many cells in the product of every feature's groups, count each table in its own
# pass instead of marginalising one product table.
_MAX_PRODUCT_CELLS: Final = 1_000_000


class _Counter:
    """Confusion counts for any set of features: one ``bincount`` over the product of all
    features' groups, marginalised per table (or one pass per table if the product is huge)."""

    def __init__(
        self,
        features: list[EncodedFeature],
        y_true: np.ndarray,
        y_pred: np.ndarray,
        weights: np.ndarray | None,
    ) -> None:
        self.features = {f.name: f for f in features}
        self.order = [f.name for f in features]
        self.sizes = [len(f.labels) for f in features]
        self.y_true = y_true
        self.y_pred = y_pred
        self.weights = weights
        self.rows: np.ndarray | None = None
        self.weighted: np.ndarray | None = None
        if int(np.prod(self.sizes)) <= _MAX_PRODUCT_CELLS:
            self.rows, self.weighted = self._count(features)
            shape = (*self.sizes, 4)
            self.rows = self.rows.reshape(shape)
            self.weighted = self.weighted.reshape(shape)

    def _count(self, members: list[EncodedFeature]) -> tuple[np.ndarray, np.ndarray]:
        index = product_codes(members)  # in place from here on: one buffer, no temporaries
        index *= 2
        index += self.y_true
        index *= 2
        index += self.y_pred
        size = int(np.prod([len(m.labels) for m in members])) * 4
        rows = np.bincount(index, minlength=size).astype(float)
        if self.weights is None:
            return rows, rows
        return rows, np.bincount(index, weights=self.weights, minlength=size)

    def _full(self, members: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, weighted) of shape (product of members' groups, 4), in member order."""
        if self.rows is not None and self.weighted is not None:
            keep = [self.order.index(m) for m in members]
            drop = tuple(i for i in range(len(self.order)) if i not in keep)
            rows, weighted = self.rows.sum(axis=drop), self.weighted.sum(axis=drop)
            kept_order = sorted(keep)
            perm = [kept_order.index(k) for k in keep] + [len(keep)]
            rows, weighted = rows.transpose(perm), weighted.transpose(perm)
        else:
            rows, weighted = self._count([self.features[m] for m in members])
        return rows.reshape(-1, 4), weighted.reshape(-1, 4)

    def present(self, members: tuple[str, ...]) -> np.ndarray:
        """Which cells of the members' product have any rows."""
        rows, _ = self._full(members)
        occurs: np.ndarray = rows.sum(axis=1) > 0
        return occurs

    def table(self, members: tuple[str, ...]) -> GroupCounts:
        """Counts for the groups (or intersections) of ``members`` that occur in the data."""
        rows, weighted = self._full(members)
        keep = rows.sum(axis=1) > 0
        label_lists = [self.features[m].labels for m in members]
        labels = tuple(
            " / ".join(label_lists[i][j] for i, j in enumerate(cell))
            for cell, k in zip(np.ndindex(*[len(x) for x in label_lists]), keep, strict=True)
            if k
        )
        return GroupCounts(labels=labels, weighted=weighted[keep], rows=rows[keep])

    def overall(self) -> GroupCounts:
        """Counts over everyone."""
        rows, weighted = self._full((self.order[0],))
        return GroupCounts(
            ("all",), weighted.sum(axis=0, keepdims=True), rows.sum(axis=0, keepdims=True)
        )


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
    """
    policy = fairness or FairnessPolicy(
        sensitive_features={"_": SensitiveFeature(column="_")}, min_group_size=10
    )
    specs = fairness.sensitive_features if fairness is not None else None
    yt = _binary(y_true, "y_true")
    yp = _binary(y_pred, "y_pred")
    if len(yt) == 0:
        raise ValueError("y_true is empty: there is nothing to evaluate")
    if len(yp) != len(yt):
        raise ValueError(f"y_pred has {len(yp)} rows but y_true has {len(yt)}")
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    scores = None if y_score is None else np.asarray(y_score, dtype=float)
    columns = _columns(sensitive_features, specs, len(yt))
    at = age_at or date.today()
    encoded = {
        name_: encode(name_, values, specs[name_] if specs else None, age_at=at)
        for name_, values in columns.items()
    }
    metrics = tuple(
        m for m in (fairness.metrics if fairness else DEFAULT_METRICS) if m in RATE_METRICS
    )
    confidence = policy.confidence_level
    counter = _Counter(list(encoded.values()), yt, yp, weights)
    features: list[FeatureResult] = []
    tables: list[tuple[tuple[str, ...], str | None]] = [
        ((name_,), specs[name_].reference_group if specs else None) for name_ in encoded
    ]
    tables += [(tuple(combo), None) for combo in (fairness.intersections if fairness else ())]
    for members, reference in tables:
        counts = counter.table(members)
        auc = None
        if scores is not None:
            parts = [encoded[m] for m in members]
            size = int(np.prod([len(part.labels) for part in parts]))
            auc = roc_auc_by_group(product_codes(parts), size, yt, scores)[counter.present(members)]
        features.append(
            _feature_result(
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
    notes = [note for f in encoded.values() for note in f.notes]
    thresholds = _judge(fairness, features) if fairness else ()
    status, reasons = _verdict(policy, features, thresholds, has_policy=fairness is not None)
    if status == "failed":  # breaches decide; small groups are still reported, as notes
        notes += _verdict(policy, features, (), has_policy=True)[1]
    settings = {
        "min_group_size": policy.min_group_size,
        "suppress_counts_up_to": policy.suppress_counts_up_to,
        "confidence_level": confidence,
        "insufficient_evidence": policy.insufficient_evidence,
        "metrics": list(metrics),
        "undefined_rates": "withheld" if undefined == "nan" else "zero",
        "age_at": at.isoformat(),
        "weighted": weights is not None,
    }
    return FairnessResult(
        name=name,
        n=len(yt),
        features=tuple(features),
        thresholds=tuple(thresholds),
        status=status,
        reasons=tuple(reasons),
        notes=tuple(notes),
        settings=settings,
        overall=overall,
    )


def _first(array: np.ndarray) -> float | None:
    value = float(array[0])
    return value if math.isfinite(value) else None


def _feature_result(
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
        groups.append(GroupResult(label, sizes[i], enough[i], values))
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
        if not all(f"{p}_difference" in disparities for p in parts):
            continue
        for kind, pick in (("difference", max), ("ratio", min)):
            candidates = [disparities[f"{p}_{kind}"] for p in parts]
            defined = [c for c in candidates if c.value is not None]
            # As fairlearn: the worst of the components that are defined.
            disparities[f"{named}_{kind}"] = (
                pick(defined, key=lambda e: e.value or 0.0) if defined else Estimate(None)
            )
        if reference is not None and all(
            f"{p}_difference_to_reference" in disparities for p in parts
        ):
            for kind, pick in (("difference", max), ("ratio", min)):
                candidates = [disparities[f"{p}_{kind}_to_reference"] for p in parts]
                defined = [c for c in candidates if c.value is not None]
                disparities[f"{named}_{kind}_to_reference"] = (
                    pick(defined, key=lambda e: e.value or 0.0) if defined else Estimate(None)
                )
    return FeatureResult(name, columns, tuple(groups), disparities, reference)


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


def _judge(fairness: FairnessPolicy, features: list[FeatureResult]) -> list[ThresholdResult]:
    results = []
    for threshold in fairness.thresholds:
        targets = threshold.features or tuple(f.feature for f in features)
        for feature in features:
            if feature.feature not in targets:
                continue
            results.extend(_judge_one(threshold, feature))
    return results


def _judge_one(threshold: FairnessThreshold, feature: FeatureResult) -> list[ThresholdResult]:
    key = threshold.metric + ("_to_reference" if threshold.against == "reference" else "")
    estimate = feature.disparities.get(key, Estimate(None))
    out = []
    for bound, limit in (("min", threshold.min), ("max", threshold.max)):
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
                how = f"95% interval {_fmt(estimate.low)} to {_fmt(estimate.high)}"
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


def _verdict(
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
