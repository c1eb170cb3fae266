"""Checking the fairness inputs: labels and predictions as 0/1, the sensitive columns present.

Errors name the argument or column and say what to do; they echo no data values.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from csc_mlflow._policy import SensitiveFeature
from csc_mlflow.exceptions import DataError

__all__ = ["binary", "sensitive_columns", "weights"]


def binary(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.dtype == bool:
        as_int: np.ndarray = array.astype(np.int64)
        return as_int
    if array.dtype.kind in "iuf" and len(array):
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise DataError(
                f"{what} has missing values (NaN); drop or fill those rows first", key=what
            )
        if array.dtype.kind in "iu":
            # One pass: as unsigned, a negative number is huge, so 0 and 1 alone give max <= 1.
            unsigned = array.view(np.dtype(f"u{array.dtype.itemsize}"))
            zero_one = bool(unsigned.max() <= 1)
        else:
            zero_one = bool(((array == 0) | (array == 1)).all())
        if zero_one:
            checked: np.ndarray = array if array.dtype == np.int64 else array.astype(np.int64)
            return checked
    if array.dtype.kind in "iuf" and not len(array):
        return array.astype(np.int64)
    kinds = "numbers other than 0 and 1" if array.dtype.kind in "iuf" else "text values"
    raise DataError(
        f"{what} must hold 0 and 1 (or True and False); found {kinds}. "
        "Convert first, e.g. (y == positive_label).astype(int)",
        key=what,
    )


def sensitive_columns(
    sensitive_features: Any, features: Mapping[str, SensitiveFeature] | None, n: int
) -> dict[str, Any]:
    if isinstance(sensitive_features, pd.Series):
        sensitive_features = sensitive_features.to_frame()
    if isinstance(sensitive_features, Mapping):
        sensitive_features = pd.DataFrame(dict(sensitive_features))
    if not isinstance(sensitive_features, pd.DataFrame):
        raise DataError(
            "sensitive_features must be a pandas DataFrame, a Series or a mapping of name to "
            f"values; found {type(sensitive_features).__name__}",
            key="sensitive_features",
        )
    if len(sensitive_features) != n:
        raise DataError(
            f"sensitive_features has {len(sensitive_features)} rows but y_true has {n}; "
            "pass the same rows in the same order",
            key="sensitive_features",
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
            raise DataError(
                f"sensitive feature {name!r} needs column {spec.column!r}, which the data does not "
                f"have.{hint} Pass it in sensitive_features or "
                f"fix fairness.sensitive_features.{name}.column in the policy.",
                column=spec.column,
                key=f"fairness.sensitive_features.{name}.column",
            )
        out[name] = sensitive_features[spec.column].reset_index(drop=True)
    return out


def weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """``sample_weight`` as floats: finite, not negative, not all zero, one per row."""
    if sample_weight is None:
        return None
    try:
        array = np.asarray(sample_weight, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DataError(
            "sample_weight must hold numbers, one per row", key="sample_weight"
        ) from exc
    if len(array) != n:
        raise DataError(
            f"sample_weight has {len(array)} values but y_true has {n}; pass one per row",
            key="sample_weight",
        )
    if not np.isfinite(array).all():
        raise DataError(
            "sample_weight holds missing or infinite values; every weight must be a finite number",
            key="sample_weight",
        )
    if (array < 0).any():
        raise DataError(
            "sample_weight holds negative values; weights must be 0 or more", key="sample_weight"
        )
    if not (array > 0).any():
        raise DataError(
            "sample_weight is zero for every row, so no rate can be computed; pass real weights "
            "or none",
            key="sample_weight",
        )
    return array
