"""Raw sensitive values to group codes: groupings from the policy, missing values kept.

Groups are never dropped: a missing value becomes the group ``Not recorded``; a code a
grouping does not list becomes ``Unrecognised code`` (or the grouping's ``other`` label).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from csc_mlflow._groupings import (
    GROUPINGS,
    NOT_RECORDED,
    AgeBandDefinition,
    CodeGroupingDefinition,
)
from csc_mlflow._policy import SensitiveFeature
from csc_mlflow.exceptions import DataError

UNRECOGNISED = "Unrecognised code"
POOLED = "Other (small groups)"
MAX_RAW_VALUES: Final = 10_000
"""A feature without a grouping may hold at most this many distinct values."""


@dataclass(frozen=True)
class EncodedFeature:
    """A feature as integer codes into ``labels``, with notes for the evidence."""

    name: str
    column: str
    codes: np.ndarray
    labels: tuple[str, ...]
    notes: tuple[str, ...] = ()
    declared: bool = True
    """Whether the labels come from a declared grouping (else they are the raw values, and
    values held by fewer children than the minimum group size are pooled before publishing)."""


def _age_band_labels(edges: tuple[int, ...]) -> tuple[str, ...]:
    labels = [f"Under {edges[0]}"]
    labels += [f"{lo} to {hi - 1}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]} and over")
    return tuple(labels)


def encode(
    name: str, values: Any, spec: SensitiveFeature | None, *, age_at: date
) -> EncodedFeature:
    """Encode one sensitive column under its grouping."""
    column = spec.column if spec is not None else name
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    notes: list[str] = []
    grouping = GROUPINGS.get(spec.grouping) if spec is not None and spec.grouping else None
    bands = spec.age_bands if spec is not None else None
    if isinstance(grouping, AgeBandDefinition) or bands:
        edges = bands or grouping.edges  # type: ignore[union-attr]
        defined = grouping.labels if isinstance(grouping, AgeBandDefinition) and not bands else None
        labels = list(defined or _age_band_labels(tuple(edges)))
        at = (spec.age_at if spec is not None and spec.age_at else None) or age_at
        born = pd.to_datetime(series, errors="coerce")
        missing = born.isna().to_numpy()
        age = ((pd.Timestamp(at) - born).dt.days / 365.25).to_numpy()
        codes = np.digitize(np.nan_to_num(age, nan=0.0), edges)
        if missing.any():
            notes.append(
                f"{column}: some dates are missing or not dates; "
                f"they form the group '{NOT_RECORDED}'"
            )
        labels.append(NOT_RECORDED)
        codes = np.where(missing, len(labels) - 1, codes)
        return EncodedFeature(
            name, column, codes.astype(np.int64), tuple(labels), notes=tuple(notes)
        )

    if (
        isinstance(series.dtype, pd.CategoricalDtype)
        and grouping is None
        and (spec is None or spec.groups is None)
    ):
        # Fast path: the categorical's own codes are the group codes.
        cat_codes: np.ndarray = cast(pd.Categorical, series.array).codes  # a view: no copy
        labels = [str(c) for c in series.cat.categories]
        if len(cat_codes) and cat_codes.min() < 0:
            notes.append(f"{column}: some values are missing; they form the group '{NOT_RECORDED}'")
            cat_codes = np.where(cat_codes < 0, len(labels), cat_codes)
        _check_distinct(name, len(labels))
        return EncodedFeature(
            name, column, cat_codes, (*labels, NOT_RECORDED), notes=tuple(notes), declared=False
        )
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    raw = grouping is None and (spec is None or spec.groups is None)
    if raw:
        _check_distinct(name, len(uniques))
    raw_codes = raw_codes.astype(np.int64)
    categories = [str(u) for u in uniques]
    missing_code = len(categories)
    if (raw_codes < 0).any():
        notes.append(f"{column}: some values are missing; they form the group '{NOT_RECORDED}'")
    raw_codes = np.where(raw_codes < 0, missing_code, raw_codes)
    lookup: dict[str, str]
    order: list[str]
    other: str | None
    if isinstance(grouping, CodeGroupingDefinition):
        lookup = {code: label for label, codes in grouping.groups.items() for code in codes}
        order, other = list(grouping.groups), grouping.other
    elif spec is not None and spec.groups is not None:
        lookup = {code: label for label, codes in spec.groups.items() for code in codes}
        order, other = list(spec.groups), spec.other
    else:
        lookup = {c: c for c in categories}
        order, other = sorted(set(categories)), None
    fallback = other or UNRECOGNISED
    category_labels = []
    for category in categories:
        label = lookup.get(category, lookup.get(category.strip(), fallback))
        if category.strip() == "":
            label = NOT_RECORDED
        category_labels.append(label)
    if fallback == UNRECOGNISED and UNRECOGNISED in category_labels:
        notes.append(
            f"{column}: some values are not codes of the grouping; "
            f"they form the group '{UNRECOGNISED}'"
        )
    labels = order + [fallback] + [NOT_RECORDED]
    index = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    labels = list(index)
    table = np.array(
        [index[label] for label in category_labels] + [index[NOT_RECORDED]], dtype=np.int64
    )
    return EncodedFeature(
        name, column, table[raw_codes], tuple(labels), notes=tuple(notes), declared=not raw
    )


def _check_distinct(name: str, count: int) -> None:
    if count > MAX_RAW_VALUES:
        raise DataError(
            f"sensitive feature {name!r} has more than {MAX_RAW_VALUES:,} distinct values and "
            "no grouping: it looks like an identifier or free text. Give it a grouping "
            f"(fairness.sensitive_features.{name}.grouping, groups or age_bands) that maps its "
            "values to a few named groups",
            key=f"fairness.sensitive_features.{name}",
        )


def product_codes(features: list[EncodedFeature]) -> np.ndarray:
    """One code per row over the full product of the features' groups (row-major)."""
    combined = features[0].codes.astype(np.int64)
    for feature in features[1:]:
        combined *= len(feature.labels)
        combined += feature.codes
    return combined
