"""``evaluate_performance``: the performance record, written to the run and judged."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csc_mlflow import _names as names
from csc_mlflow._evidence import PerformancePayload, envelope
from csc_mlflow._policy import NAME_PATTERN, Policy
from csc_mlflow._resolve import resolve_policy
from csc_mlflow._runs import RunWriter, active_run_id
from csc_mlflow.exceptions import PolicyNotFoundError, UsageError
from csc_mlflow.performance._measure import confusion_from_metrics, measure_performance

__all__ = ["PerformanceResult", "evaluate_performance"]


@dataclass(frozen=True)
class PerformanceResult:
    """What ``evaluate_performance`` found: its status, reasons and record."""

    run_id: str
    payload: PerformancePayload

    @property
    def status(self) -> str:
        """``passed``, ``failed`` (a bound breached) or ``inconclusive``."""
        return self.payload.status

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each bound not met, in words."""
        return self.payload.reasons

    def metric(self, name: str) -> float | None:
        """The published share called ``name`` (None where withheld or undefined)."""
        return next(m.estimate.value for m in self.payload.metrics if m.metric == name)

    def __repr__(self) -> str:
        return f"PerformanceResult(status={self.status!r}, reasons={len(self.reasons)})"


def evaluate_performance(
    y_true: Any = None,
    y_pred: Any = None,
    *,
    metrics: Mapping[str, Any] | None = None,
    name: str = "model",
    policy: Policy | str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    tracking_uri: str | None = None,
) -> PerformanceResult:
    """Measure a binary classifier on held-out children and attach the record to the run.

    Give ``y_true`` and ``y_pred``, or ``metrics``: the results of ``mlflow.models.evaluate(...,
    model_type="classifier")`` on a binary outcome (its confusion counts are used).

    Writes ``governance/performance/<name>.json`` (accuracy, recall, precision and
    specificity with Wilson intervals; withheld when a cell of the confusion matrix holds 1
    to 5 children), judged against the policy's ``performance.thresholds``; logs each judged
    share as an MLflow metric (on ``model_id`` too) and the status as a tag.

    Examples
    --------
    >>> with csc_mlflow.governed_run() as run:  # doctest: +SKIP
    ...     result = csc_mlflow.evaluate_performance(y_test, model.predict(X_test))
    >>> result.status  # doctest: +SKIP
    'passed'
    """
    if not NAME_PATTERN.match(name):
        raise UsageError(f"name may hold letters, digits, '_' and '-'; found {name!r}", key="name")
    try:
        resolved: Policy | None = resolve_policy(policy)
    except PolicyNotFoundError:
        if policy is not None:
            raise
        resolved = None
    run_id = active_run_id(run_id, "call evaluate_performance")
    settings = resolved.performance if resolved is not None else None
    if (metrics is None) == (y_true is None and y_pred is None):
        raise UsageError(
            "give either y_true and y_pred, or metrics (from mlflow.models.evaluate)",
            key="metrics",
        )
    cells = confusion_from_metrics(metrics) if metrics is not None else None
    body = measure_performance(y_true, y_pred, name=name, policy=settings, cells=cells)
    record = envelope(
        "csc.performance",
        body,
        run_id=run_id,
        policy_sha256=resolved.evidence_sha256 if resolved is not None else None,
    )
    judged = {t.metric for t in body.thresholds}
    metrics = {
        names.performance_metric(name, m.metric): m.estimate.value
        for m in body.metrics
        if m.metric in judged and m.estimate.value is not None
    }
    writer = RunWriter(tracking_uri=tracking_uri)
    writer.log_record(run_id, names.performance_path(name), record)
    writer.log_summary(
        run_id,
        tags={names.performance_status_tag(name): body.status},
        metrics=metrics,
        model_id=model_id,
    )
    return PerformanceResult(run_id=run_id, payload=body)
