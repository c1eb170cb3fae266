"""Fairness evidence on an MLflow run (and its logged model)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any, Final

from csc_mlflow import _names as names
from csc_mlflow._evidence import envelope
from csc_mlflow._policy import NAME_PATTERN, FairnessPolicy, Policy
from csc_mlflow._resolve import resolve_policy
from csc_mlflow._runs import RunWriter, active_run_id
from csc_mlflow.exceptions import DataError, PolicyNotFoundError, UsageError
from csc_mlflow.fairness._aggregate import COUNT, WEIGHT, aggregate, is_elsewhere
from csc_mlflow.fairness._charts import rate_chart
from csc_mlflow.fairness._compute import compute_fairness
from csc_mlflow.fairness._results import FairnessResult

__all__ = ["CHART_METRICS", "evaluate_fairness"]

CHART_METRICS: Final = ("selection_rate", "true_positive_rate", "false_positive_rate")


def _governing(
    policy: Policy | str | os.PathLike[str] | None, sensitive_features: Any
) -> Policy | None:
    """The policy that governs this evaluation, or None when the caller said enough alone."""
    try:
        return resolve_policy(policy)
    except PolicyNotFoundError:
        if policy is not None or sensitive_features is None:
            raise
        return None


def evaluate_fairness(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    name: str = "model",
    policy: Policy | str | os.PathLike[str] | None = None,
    y_score: Any = None,
    sample_weight: Any = None,
    run_id: str | None = None,
    tracking_uri: str | None = None,
    model_id: str | None = None,
    age_at: date | None = None,
) -> FairnessResult:
    """Evaluate fairness across sensitive features and log the evidence to the run.

    Logs ``governance/fairness/<name>.json`` (group rates with intervals at the policy's
    confidence level, disparities, threshold verdicts; small counts suppressed, small groups
    withheld), one SVG chart per feature and metric, the disparities as metrics
    ``csc.fairness.<feature>.<metric>`` (also on the logged model when ``model_id`` is given)
    and the tag ``csc.fairness.<name>.status``.

    With a policy (given, or active through ``governed_run``, ``autolog`` or
    ``governance.yaml``) its ``fairness`` section governs: which columns, groupings,
    intersections, metrics, thresholds and small-number rules. Without one, the documented
    defaults apply: every column of ``sensitive_features`` is a feature whose values are its
    groups, fairlearn's metrics, minimum group size 10, DfE suppression of counts 1 to 5.

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1, or column names
        Labels and predictions; for data in Spark or SQL, the names of their columns.
    sensitive_features : DataFrame, mapping, Spark DataFrame or SqlTable
        The raw sensitive columns (with a policy, the columns it names). A Spark DataFrame or
        a :class:`~csc_mlflow.SqlTable` is counted where it is (one GROUP BY on the policy's
        columns, the label and the prediction); only the counts leave the engine.
    name : str
        Names the record, e.g. ``model`` or ``baseline``.
    policy : Policy or path, optional
        Defaults to the active policy, if any.
    run_id : str, optional
        Defaults to the active run.
    tracking_uri : str, optional
        The tracking server of ``run_id`` (default: MLflow's current one).
    model_id : str, optional
        A logged model to attach the metrics to.

    Raises
    ------
    UsageError
        ``name`` is not a valid record name.
    DataError
        Labels, predictions, weights or sensitive columns cannot be used (argument named).
    PolicyError, NoActiveRunError
        A policy was named but is invalid, or there is no run to log to.

    Examples
    --------
    >>> with csc_mlflow.governed_run() as run:  # doctest: +SKIP
    ...     result = csc_mlflow.evaluate_fairness(y, model.predict(X),
    ...                                           sensitive_features=frame, model_id=info.model_id)
    >>> result.status  # doctest: +SKIP
    'passed'
    """
    if not NAME_PATTERN.match(name):
        raise UsageError(f"name may hold letters, digits, '_' and '-'; found {name!r}", key="name")
    resolved = _governing(policy, sensitive_features)
    fairness: FairnessPolicy | None = resolved.fairness if resolved is not None else None
    run_id = active_run_id(run_id, "call evaluate_fairness")
    counts = None
    if is_elsewhere(sensitive_features):
        if fairness is None:
            raise DataError(
                "with data in Spark or SQL, the policy's fairness.sensitive_features name the "
                "columns to count by; pass policy=... or run inside governed_run",
                key="sensitive_features",
            )
        if y_score is not None:
            raise DataError(
                "per-group ROC AUC needs each row's score, which would leave the engine; leave "
                "y_score out for data in Spark or SQL",
                key="y_score",
            )
        columns = list(dict.fromkeys(s.column for s in fairness.sensitive_features.values()))
        cells = aggregate(sensitive_features, columns, y_true, y_pred, sample_weight)
        y_true, y_pred = cells[y_true].to_numpy(), cells[y_pred].to_numpy()
        sample_weight = cells[WEIGHT].to_numpy() if sample_weight is not None else None
        counts = cells[COUNT].to_numpy()
        sensitive_features = cells[columns]
    result = compute_fairness(
        y_true,
        y_pred,
        sensitive_features,
        fairness=fairness,
        y_score=y_score,
        sample_weight=sample_weight,
        name=name,
        age_at=age_at,
        counts=counts,
    )
    body = result.payload()
    confidence = body.settings.confidence_percent
    charts = {
        f"{names.ARTIFACT_ROOT}/fairness/{name}/{feature.feature}_{metric}.svg": rate_chart(
            feature, metric, confidence=confidence
        ).encode("utf-8")
        for feature in body.features
        for metric in CHART_METRICS
        if metric in body.settings.metrics
    }
    body = body.model_copy(update={"charts": tuple(sorted(charts))})
    record = envelope(
        "csc.fairness",
        body,
        run_id=run_id,
        policy_sha256=resolved.evidence_sha256 if resolved is not None else None,
    )
    writer = RunWriter(tracking_uri=tracking_uri)
    writer.log_record(run_id, names.fairness_path(name), record, attachments=charts)
    writer.log_summary(
        run_id,
        tags={names.fairness_status_tag(name): result.status},
        metrics=result.mlflow_metrics(),
        model_id=model_id,
    )
    return result
