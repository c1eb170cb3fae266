"""The reference profile: the training data as monitoring will compare live data with it.

Per monitored feature, the children in each declared bin (bins merged until no count of 1
to the suppression limit is published); the predictions' two bins; and each sensitive
group's selection rate (and, with outcomes, its outcome and error rates) with intervals, as
the fairness record publishes them (small counts suppressed, small groups withheld).
"""

from __future__ import annotations

import os
from typing import Any, Final

import numpy as np
import pandas as pd

from csc_mlflow import _names as names
from csc_mlflow._evidence import (
    FeatureProfile,
    FeatureRecord,
    ProfileBin,
    ReferenceProfilePayload,
    envelope,
)
from csc_mlflow._policy import MonitoringPolicy, Policy
from csc_mlflow._resolve import resolve_policy
from csc_mlflow._runs import RunWriter, active_run_id
from csc_mlflow.exceptions import DataError, UsageError
from csc_mlflow.fairness import binary, compute_fairness
from csc_mlflow.monitoring._bins import Binned, bin_column, bin_predictions, merge_small

__all__ = [
    "group_records",
    "log_reference_profile",
    "monitoring_settings",
    "profile_features",
    "suppression_limit",
]

SELECTION: Final = ("selection_rate",)
WITH_OUTCOMES: Final = ("selection_rate", "base_rate", "false_positive_rate", "false_negative_rate")


def monitoring_settings(policy: Policy) -> MonitoringPolicy:
    """The policy's ``monitoring`` section, or a :class:`UsageError` saying how to add one."""
    if policy.monitoring is None:
        source = policy.source or "the policy"
        raise UsageError(
            f"{source} has no 'monitoring' section: add 'monitoring: {{features: {{...}}}}' "
            "naming the columns to profile and compare (see the README, 'After deployment')",
            key="monitoring",
        )
    return policy.monitoring


def suppression_limit(policy: Policy) -> int:
    """Counts of 1 to this many children are never published."""
    return policy.fairness.suppress_counts_up_to if policy.fairness is not None else 5


def frame_of(data: Any, what: str = "data") -> pd.DataFrame:
    """``data`` as a pandas DataFrame, or a :class:`DataError` naming what was given."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"{what}: expected a pandas DataFrame with the monitored and sensitive columns; "
            f"found {type(data).__name__}",
            key=what,
        )
    if data.empty:
        raise DataError(f"{what} has no rows: there is nothing to profile", key=what)
    return data


def labels_for(values: Any, n: int, what: str) -> np.ndarray:
    """0/1 labels, one per child, checked."""
    array = binary(values, what)
    if len(array) != n:
        raise DataError(f"{what} has {len(array):,} values but the data has {n:,} rows", key=what)
    return array


def binned_features(policy: Policy, frame: pd.DataFrame, predictions: np.ndarray) -> list[Binned]:
    """Every monitored feature, then the predictions, binned."""
    monitoring = monitoring_settings(policy)
    binned = [bin_column(name, spec, frame) for name, spec in monitoring.features.items()]
    return [*binned, bin_predictions(predictions)]


def profile_features(binned: list[Binned], limit: int) -> tuple[FeatureProfile, ...]:
    """Each binned feature's counts, merged until no small count is published."""
    profiles = []
    for feature in binned:
        counts = feature.counts()
        merged = merge_small([counts], ordered=feature.kind == "numeric", limit=limit)
        profiles.append(
            FeatureProfile(
                feature=feature.feature,
                column=feature.column,
                kind=feature.kind,
                bins=tuple(
                    ProfileBin(
                        labels=tuple(feature.labels[i] for i in group),
                        count=int(counts[group].sum()),
                    )
                    for group in merged
                ),
            )
        )
    return tuple(profiles)


def group_records(
    policy: Policy,
    frame: pd.DataFrame,
    predictions: np.ndarray,
    outcomes: np.ndarray | None,
    name: str,
) -> tuple[tuple[FeatureRecord, ...], tuple[str, ...], tuple[str, ...]]:
    """Each sensitive group's rates as the fairness record publishes them (no intersections,
    no thresholds): ``(features, metrics, notes)``. Empty without a ``fairness`` section."""
    if policy.fairness is None:
        return (), (), ()
    metrics = WITH_OUTCOMES if outcomes is not None else SELECTION
    settings = policy.fairness.model_copy(
        update={"intersections": (), "thresholds": (), "metrics": metrics}
    )
    # Without outcomes only the selection rate is computed: the predictions stand in for the
    # labels, so no other rate exists to publish.
    result = compute_fairness(
        outcomes if outcomes is not None else predictions,
        predictions,
        frame,
        fairness=settings,
        name=name,
    )
    payload = result.payload()
    return payload.features, metrics, payload.notes


def log_reference_profile(
    data: Any,
    predictions: Any,
    outcomes: Any = None,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    tracking_uri: str | None = None,
) -> ReferenceProfilePayload:
    """Record the training data's profile on the run, for monitoring to compare live data with.

    Writes ``governance/monitoring/reference.json``: for each column under
    ``monitoring.features``, the children in each declared bin; the predictions' shares; and,
    per sensitive group, the selection rate (with ``outcomes``, also the outcome and error
    rates) with intervals. Counts of 1 to 5 children are never published: bins are merged,
    small groups withheld, as in the fairness record. A governed run that logs a model under
    a policy with a ``monitoring`` section needs this record.

    Examples
    --------
    >>> with csc_mlflow.governed_run() as run:  # doctest: +SKIP
    ...     csc_mlflow.log_reference_profile(train, model.predict(X_train), train["outcome"])
    """
    resolved = resolve_policy(policy)
    monitoring = monitoring_settings(resolved)
    run_id = active_run_id(run_id, "call log_reference_profile")
    frame = frame_of(data)
    if len(frame) < monitoring.min_batch_size:
        raise DataError(
            f"data has {len(frame):,} rows; a reference profile needs at least "
            f"monitoring.min_batch_size ({monitoring.min_batch_size})",
            key="data",
        )
    predicted = labels_for(predictions, len(frame), "predictions")
    observed = labels_for(outcomes, len(frame), "outcomes") if outcomes is not None else None
    limit = suppression_limit(resolved)
    features = profile_features(binned_features(resolved, frame, predicted), limit)
    groups, metrics, notes = group_records(resolved, frame, predicted, observed, "reference")
    confidence = resolved.fairness.confidence_level if resolved.fairness is not None else 0.95
    body = ReferenceProfilePayload(
        name="reference",
        status="passed",
        reasons=(),
        count=len(frame),
        suppress_counts_up_to=limit,
        confidence_level=confidence,
        features=features,
        groups=groups,
        group_metrics=metrics,
    )
    del notes  # the fairness record's notes name columns only; the groups say what is withheld
    record = envelope(
        "csc.reference_profile", body, run_id=run_id, policy_sha256=resolved.evidence_sha256
    )
    RunWriter(tracking_uri=tracking_uri).log_record(run_id, names.REFERENCE_PROFILE_PATH, record)
    return body
