"""What the fairness evaluation found, and its evidence payload with counts suppressed.

Pure computation (no MLflow). :meth:`FairnessResult.payload` is the evidence record: no
count from 1 to the suppression limit, none recoverable by subtraction, and the metrics of
groups below the minimum size withheld.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    EstimateRecord,
    FairnessPayload,
    FairnessSettings,
    FeatureRecord,
    GroupRecord,
    OverallRecord,
    ThresholdRecord,
)
from csc_mlflow.fairness._suppress import SUPPRESSED, primary, secondary

__all__ = [
    "Estimate",
    "FairnessResult",
    "FeatureResult",
    "GroupResult",
    "ThresholdResult",
    "Verdict",
    "published_counts",
]

Verdict = Literal["meets", "breaches", "inconclusive"]


@dataclass(frozen=True)
class Estimate:
    """A value with its interval; None where withheld or undefined."""

    value: float | None
    low: float | None = None
    high: float | None = None
    groups: tuple[str, ...] = ()

    def to_record(self) -> EstimateRecord:
        """The estimate as the evidence record holds it (rounded; non-finite as None)."""
        return EstimateRecord(
            value=_round(self.value), ci=(_round(self.low), _round(self.high)), groups=self.groups
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return self.to_record().to_json()


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
    bound: Literal["min", "max"]
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
    settings: FairnessSettings
    overall: Mapping[str, Estimate] = field(default_factory=dict)

    def feature(self, name: str) -> FeatureResult:
        """The feature (or intersection) called ``name``."""
        return next(f for f in self.features if f.feature == name)

    def payload(self) -> FairnessPayload:
        """The evidence payload: no count from 1 to the suppression limit, none recoverable."""
        shown = published_counts(self)
        features = tuple(
            FeatureRecord(
                feature=f.feature,
                columns=f.columns,
                reference_group=f.reference_group,
                groups=tuple(
                    GroupRecord(
                        group=g.group,
                        count=shown[(f.feature, g.group)],
                        verdict="ok" if g.sufficient else "insufficient_evidence",
                        metrics={m: e.to_record() for m, e in g.metrics.items()}
                        if g.sufficient
                        else None,
                    )
                    for g in f.groups
                ),
                disparities={m: e.to_record() for m, e in f.disparities.items()},
            )
            for f in self.features
        )
        return FairnessPayload(
            name=self.name,
            status=self.status,
            reasons=self.reasons,
            notes=self.notes,
            settings=self.settings,
            overall=OverallRecord(
                count=self.n, metrics={m: e.to_record() for m, e in self.overall.items()}
            ),
            features=features,
            thresholds=tuple(
                ThresholdRecord(
                    metric=t.metric,
                    feature=t.feature,
                    bound=t.bound,
                    limit=t.limit,
                    judge=t.judge,
                    against=t.against,
                    estimate=t.estimate.to_record(),
                    verdict=t.verdict,
                    message=t.message,
                )
                for t in self.thresholds
            ),
        )

    def mlflow_metrics(self) -> dict[str, float]:
        """Between-group disparities as MLflow metrics (no per-group values, no counts)."""
        out = {}
        for f in self.features:
            for metric, estimate in f.disparities.items():
                if estimate.value is not None:
                    out[names.fairness_metric(f.feature, metric)] = float(estimate.value)
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
    up_to = result.settings.suppress_counts_up_to
    hidden = secondary(counts, primary(counts, up_to), relations)
    return {cell: (SUPPRESSED if i in hidden else counts[i]) for i, cell in enumerate(cells)}
