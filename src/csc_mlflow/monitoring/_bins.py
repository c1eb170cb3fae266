"""A monitored column as bin codes, and bins merged until no small count is published.

Bins are declared in the policy (codes, a grouping, or numeric edges), never learnt from the
data, so no label or edge is a child's value. Counts are published only when each is 0 or
more than the suppression limit: a bin holding 1 to the limit is merged with a neighbour (a
numeric bin with the adjacent one holding fewer children, a category with the smallest
other) until none does, so no small count is published or follows by subtraction.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import numpy as np
import pandas as pd

from csc_mlflow._groupings import GROUPINGS, NOT_RECORDED, CodeGroupingDefinition
from csc_mlflow._policy import MonitoredFeature
from csc_mlflow.exceptions import DataError

__all__ = [
    "NOT_LISTED",
    "PREDICTION",
    "Binned",
    "bin_column",
    "bin_predictions",
    "merge_small",
]

NOT_LISTED: Final = "Other (not listed)"
PREDICTION: Final = "prediction"
UNRECOGNISED: Final = "Unrecognised code"


@dataclass(frozen=True)
class Binned:
    """One column as codes into ``labels`` (one code per child)."""

    feature: str
    column: str
    kind: Literal["categorical", "numeric"]
    labels: tuple[str, ...]
    codes: np.ndarray

    def counts(self) -> np.ndarray:
        """Children in each bin (one pass of ``numpy.bincount``)."""
        return np.bincount(self.codes, minlength=len(self.labels))


def _edge(value: float) -> str:
    return f"{value:g}"


def _numeric_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    labels = [f"Under {_edge(edges[0])}"]
    labels += [f"{_edge(lo)} to under {_edge(hi)}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"{_edge(edges[-1])} and over")
    return (*labels, NOT_RECORDED)


def _categorical(name: str, spec: MonitoredFeature) -> tuple[dict[str, str], list[str], str]:
    """The declared mapping of codes to labels, the labels in order, and the fallback."""
    if spec.values is not None:
        return {v: v for v in spec.values}, list(spec.values), NOT_LISTED
    if spec.groups is not None:
        lookup = {code: label for label, codes in spec.groups.items() for code in codes}
        return lookup, list(spec.groups), NOT_LISTED
    grouping = GROUPINGS[str(spec.grouping)]
    assert isinstance(grouping, CodeGroupingDefinition)
    lookup = {code: label for label, codes in grouping.groups.items() for code in codes}
    return lookup, list(grouping.groups), grouping.other or UNRECOGNISED


def bin_column(name: str, spec: MonitoredFeature, frame: Any) -> Binned:
    """Bin the column ``spec.column`` of ``frame`` as the policy declares."""
    if spec.column not in frame.columns:
        raise DataError(
            f"the batch has no column {spec.column!r}, which monitoring.features.{name} "
            "profiles; give it, or remove the feature from the policy",
            key=f"monitoring.features.{name}",
        )
    series = frame[spec.column]
    if spec.bins is not None:
        return _numeric(name, spec, series)
    lookup, order, fallback = _categorical(name, spec)
    labels = list(dict.fromkeys([*order, fallback, NOT_RECORDED]))
    index = {label: i for i, label in enumerate(labels)}
    missing = index[NOT_RECORDED]
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = [str(c) for c in series.cat.categories]
        raw = cast(pd.Categorical, series.array).codes.astype(np.int64)
    else:
        raw, uniques = pd.factorize(series, use_na_sentinel=True)
        raw = raw.astype(np.int64)
        categories = [str(u) for u in uniques]
    table = np.array(
        [
            missing if c.strip() == "" else index[lookup.get(c, lookup.get(c.strip(), fallback))]
            for c in categories
        ]
        + [missing],
        dtype=np.int64,
    )
    raw[raw < 0] = len(categories)
    return Binned(name, spec.column, "categorical", tuple(labels), table[raw])


def _numeric(name: str, spec: MonitoredFeature, series: pd.Series) -> Binned:
    edges = tuple(spec.bins or ())
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        unreadable = np.isnan(values) & series.notna().to_numpy()
        if unreadable.any():
            raise DataError(
                f"column {spec.column!r} (monitoring.features.{name}) holds "
                f"{int(unreadable.sum()):,} values that are not numbers; its bins are numeric "
                "edges. Convert the column, or declare its codes with 'values:'",
                key=f"monitoring.features.{name}",
            )
    labels = _numeric_labels(edges)
    codes = np.digitize(values, edges)
    codes[np.isnan(values)] = len(labels) - 1
    return Binned(name, spec.column, "numeric", labels, codes.astype(np.int64))


def bin_predictions(predictions: np.ndarray) -> Binned:
    """The model's predictions (0/1) as two bins."""
    return Binned(
        PREDICTION,
        PREDICTION,
        "categorical",
        ("Not flagged", "Flagged"),
        predictions.astype(np.int64),
    )


def merge_small(
    counts: Sequence[np.ndarray],
    *,
    ordered: bool,
    limit: int,
    start: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    """Bins merged (lists of bin indices) until each of ``counts`` holds 0 or more than
    ``limit`` children in every merged bin.

    ``ordered``: only adjacent bins merge (numeric edges; ``Not recorded``, last, is merged
    with its neighbour like any other). ``start``: bins already merged (a profile's).
    """
    groups = [list(g) for g in start] if start is not None else [[i] for i in range(len(counts[0]))]

    def totals(group: list[int]) -> list[int]:
        return [int(c[group].sum()) for c in counts]

    while len(groups) > 1:
        small = [i for i, g in enumerate(groups) if any(0 < t <= limit for t in totals(g))]
        if not small:
            break
        i = min(small, key=lambda k: (sum(totals(groups[k])), k))
        if ordered:
            candidates = [j for j in (i - 1, i + 1) if 0 <= j < len(groups)]
        else:
            candidates = [j for j in range(len(groups)) if j != i]
        j = min(candidates, key=lambda k: (sum(totals(groups[k])), k))
        low, high = sorted((i, j))
        groups[low] = sorted(groups[low] + groups[high])
        del groups[high]
    return groups
