"""What the fairness evaluation found, and its evidence payload with counts suppressed.

Pure computation (no MLflow). :meth:`FairnessResult.payload` is the evidence record: no
count from 1 to the suppression limit, none recoverable by subtraction, and the metrics of
groups below the minimum size withheld.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

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
from csc_mlflow.fairness._suppress import (
    SUPPRESSED,
    Relation,
    derived_counts,
    primary,
    secondary,
)

if TYPE_CHECKING:
    import pandas as pd

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

HEADLINE_METRICS: Final = ("demographic_parity_ratio", "equalized_odds_difference")
"""The disparities logged as MLflow metrics for every feature (with those thresholds judge)."""


class Estimate(NamedTuple):
    """A value with its interval; None where withheld or undefined.

    A named tuple (immutable, and cheap to build: an evaluation makes one per group and metric).
    """

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
    cells: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Children per confusion cell (tn, fp, fn, tp): used for disclosure control, never
    published."""


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

    @property
    def by_group(self) -> pd.DataFrame:
        """Every group's metrics as a DataFrame, as fairlearn's ``MetricFrame.by_group``: one
        row per (feature, group), one column per metric under fairlearn's names, and ``count``.

        As published: a count of 1 to 5 is missing (``<NA>``), and a group's rates are NaN
        where the evidence withholds them (too small to judge, or they would reveal a small
        count).
        """
        import pandas as pd

        published = self.payload()
        metrics = list(self.settings.metrics)
        index: list[tuple[str, str]] = []
        rows: list[list[object]] = []
        for feature in published.features:
            for group in feature.groups:
                index.append((feature.feature, group.group))
                values = group.metrics or {}
                rows.append(
                    [group.count if isinstance(group.count, int) else pd.NA]
                    + [
                        values[m].value if m in values and values[m].value is not None else None
                        for m in metrics
                    ]
                )
        frame = pd.DataFrame(
            rows,
            index=pd.MultiIndex.from_tuples(index, names=["feature", "group"]),
            columns=["count", *metrics],
        )
        return frame.astype({"count": "Int64", **dict.fromkeys(metrics, "float64")})

    def __repr__(self) -> str:
        return (
            f"FairnessResult(name={self.name!r}, status={self.status!r}, features="
            f"{[f.feature for f in self.features]}, thresholds={len(self.thresholds)})"
        )

    def _repr_html_(self) -> str:
        """The verdict, its reasons and each feature's disparities, as published (notebooks)."""
        from csc_mlflow._notebook import card, table

        published = self.payload()
        body = ""
        for feature in published.features:
            rows = [
                (metric, e.value, e.ci[0], e.ci[1], " vs ".join(e.groups))
                for metric, e in sorted(feature.disparities.items())
                if not metric.endswith("_to_reference") or feature.reference_group
            ]
            body += f'<div style="margin-top:6px;font-weight:600">{_escape(feature.feature)}</div>'
            body += table(("disparity", "value", "low", "high", "between"), rows, limit=40)
        lines = [*published.reasons, *published.notes] or ["every threshold met"]
        return card(f"Fairness: {self.name}", self.status, lines, body)

    def payload(self) -> FairnessPayload:
        """The evidence payload: no count from 1 to the suppression limit, none recoverable.

        Sizes of 1 to the limit show as ``c``; a group's rates are withheld when they, or a
        subtraction, would reveal a count of 1 to the limit; and every figure comparing a
        withheld group (a disparity, a threshold's estimate) is withheld with it, its
        verdict kept.
        """
        shown = disclosure(self)
        redacted = {t.message: _redacted(t) for t in self.thresholds if _hidden(shown, t)}
        features = tuple(
            FeatureRecord(
                feature=f.feature,
                columns=f.columns,
                reference_group=f.reference_group,
                groups=tuple(
                    GroupRecord(
                        group=g.group,
                        count=shown.counts[(f.feature, g.group)],
                        verdict=_group_verdict(g, (f.feature, g.group) in shown.withheld),
                        metrics={m: e.to_record() for m, e in g.metrics.items()}
                        if g.sufficient and (f.feature, g.group) not in shown.withheld
                        else None,
                    )
                    for g in f.groups
                ),
                disparities={
                    m: _WITHHELD if shown.hides(f.feature, e.groups) else e.to_record()
                    for m, e in f.disparities.items()
                },
            )
            for f in self.features
        )
        return FairnessPayload(
            name=self.name,
            status=self.status,
            reasons=tuple(redacted.get(r, r) for r in self.reasons),
            notes=tuple(redacted.get(n, n) for n in self.notes),
            settings=self.settings,
            overall=OverallRecord(
                count=shown.overall_count,
                metrics={}
                if shown.overall_withheld
                else {m: e.to_record() for m, e in self.overall.items()},
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
                    estimate=_WITHHELD if _hidden(shown, t) else t.estimate.to_record(),
                    verdict=t.verdict,
                    message=redacted.get(t.message, t.message),
                )
                for t in self.thresholds
            ),
        )

    def mlflow_metrics(self) -> dict[str, float]:
        """The headline disparities as MLflow metrics: per feature, demographic parity ratio,
        equalized odds difference and every measure a threshold judges (the rest lives in the
        record). No per-group values, no counts, none that the record withholds."""
        shown = disclosure(self)
        judged = {(t.feature, t.metric) for t in self.thresholds}
        out = {}
        for f in self.features:
            for metric, estimate in f.disparities.items():
                if metric not in HEADLINE_METRICS and (f.feature, metric) not in judged:
                    continue
                if estimate.value is not None and not shown.hides(f.feature, estimate.groups):
                    out[names.fairness_metric(f.feature, metric)] = float(estimate.value)
        return out


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 12)


_WITHHELD = EstimateRecord(value=None, ci=(None, None))


def _hidden(shown: Disclosure, threshold: ThresholdResult) -> bool:
    return shown.hides(threshold.feature, threshold.estimate.groups)


def _redacted(threshold: ThresholdResult) -> str:
    words = {"meets": "met", "breaches": "breached", "inconclusive": "inconclusive"}
    return (
        f"{threshold.feature}: {threshold.metric} "
        f"{'<=' if threshold.bound == 'max' else '>='} {threshold.limit}: "
        f"{words[threshold.verdict]}; the figures are withheld because they involve a group "
        "with small numbers (DfE disclosure control)"
    )


def _group_verdict(
    group: GroupResult, withheld: bool
) -> Literal["ok", "insufficient_evidence", "withheld"]:
    if not group.sufficient:
        return "insufficient_evidence"
    return "withheld" if withheld else "ok"


@dataclass(frozen=True)
class Disclosure:
    """What may be published: sizes shown as ``c``, groups whose rates are withheld."""

    overall_count: int | str
    counts: Mapping[tuple[str, str], int | str]
    withheld: frozenset[tuple[str, str]]
    overall_withheld: bool

    def hides(self, feature: str, groups: tuple[str, ...]) -> bool:
        """Whether a figure comparing ``groups`` of ``feature`` would reveal a withheld one."""
        return self.overall_withheld or any((feature, g) in self.withheld for g in groups)


def disclosure(result: FairnessResult) -> Disclosure:
    """Primary and secondary suppression of sizes, and of the counts behind every rate."""
    cells: list[tuple[str, str]] = []
    groups: list[GroupResult] = []
    index: dict[tuple[str, str], int] = {}
    for f in result.features:
        for g in f.groups:
            index[(f.feature, g.group)] = len(cells)
            cells.append((f.feature, g.group))
            groups.append(g)
    overall = len(cells)
    first = result.features[0].groups if result.features else ()
    tn, fp, fn, tp = (int(sum(g.cells[k] for g in first)) for k in range(4))
    overall_cells = (tn, fp, fn, tp)
    relations: list[Relation] = []
    singles = {f.feature: f for f in result.features if len(f.columns) == 1}
    for f in result.features:
        relations.append((tuple(index[(f.feature, g.group)] for g in f.groups), overall))
        if len(f.columns) < 2:
            continue
        for position, member in enumerate(f.feature.split("-")):
            margin = singles.get(member)
            if margin is None:
                continue
            for level in margin.groups:
                inside = tuple(
                    index[(f.feature, g.group)]
                    for g in f.groups
                    if g.group.split(" / ")[position] == level.group
                )
                relations.append((inside, index[(member, level.group)]))
    up_to = result.settings.suppress_counts_up_to
    # Sizes, everyone's included (hidden too when it is 1 to the limit).
    sizes = [(g.count,) for g in groups] + [(result.n,)]
    hidden_sizes = secondary(sizes, primary(sizes, up_to), relations, up_to)
    # Rates: every count they reveal, for each group and for everyone.
    revealed = [(g.count, *derived_counts(g.cells)) for g in groups]
    revealed.append((sum(overall_cells), *derived_counts(overall_cells)))
    overall_unsafe = any(1 <= n <= up_to for n in revealed[overall][1:])
    start = primary(revealed, up_to) | (hidden_sizes - {overall})
    start |= {i for i, g in enumerate(groups) if not g.sufficient}
    if overall_unsafe or overall in hidden_sizes:
        start.add(overall)
    withheld = secondary(revealed, start, relations, up_to)
    return Disclosure(
        overall_count=SUPPRESSED if overall in hidden_sizes else result.n,
        counts={
            cell: (SUPPRESSED if i in hidden_sizes else groups[i].count)
            for i, cell in enumerate(cells)
        },
        withheld=frozenset(cells[i] for i in withheld if i != overall),
        overall_withheld=overall in withheld,
    )


def published_counts(result: FairnessResult) -> dict[tuple[str, str], int | str]:
    """Group sizes as published: 1 to the limit shown as ``c``, with secondary suppression."""
    return dict(disclosure(result).counts)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
